/**
 * `CHARTSIDE_METRICS_PORT`: `/metrics` on a port of its own (only it), started when the gateway
 * starts listening and closed with it. The token, when set, is asked for there too. Errors are
 * the API envelope with our request id, as on the main port.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import { installErrorHandling } from '../errors/fastify.ts';
import { metricsHandler } from './exposition.ts';
import type { GatewayMetrics } from './metrics.ts';
import { metricsRoute } from './schemas.ts';

export function installMetricsServer(app: FastifyInstance, config: Config, metrics: GatewayMetrics): void {
  const { port, token } = config.metrics;
  if (port === null) return;
  let server: FastifyInstance | null = null;
  app.addHook('onListen', async () => {
    server = Fastify({ logger: false, genReqId: () => randomUUID(), requestIdHeader: false });
    server.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });
    installErrorHandling(server);
    server.get('/metrics', { schema: metricsRoute }, metricsHandler(metrics, token));
    await server.listen({ host: config.host, port });
    app.log.info({ port }, 'metrics served on their own port');
  });
  app.addHook('onClose', async () => {
    await server?.close();
  });
}
