/**
 * `GET /metrics`: the registry in the Prometheus text format, behind `CHARTSIDE_METRICS_TOKEN`
 * when one is set (Bearer, compared in constant time).
 *
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../crypto/random.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { GatewayMetrics } from './metrics.ts';

export function metricsHandler(metrics: GatewayMetrics, token: string | null) {
  return async function serveMetrics(request: FastifyRequest, reply: FastifyReply) {
    if (token !== null && !bearerMatches(request.headers.authorization, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new ChartsideError('metrics_token_required');
    }
    const body = await metrics.registry.metrics();
    return reply.header('cache-control', 'no-store').type(metrics.registry.contentType).send(body);
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  return constantTimeEqual(header.slice('Bearer '.length).trim(), token);
}
