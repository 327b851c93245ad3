/**
 * Per-request metrics without touching the rooms' handlers: an `onResponse` hook is attached only
 * to the routes measured here (the FHIR proxy, the CDS service call), as each is registered, so
 * every other route pays nothing; and errors are counted by catalogue code as they are answered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { toChartsideError } from '../errors/catalogue.ts';
import type { CdsCache, GatewayMetrics } from './metrics.ts';

/** Callback style, not async: these run on every measured request, and a promise each is a cost. */
type OnResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/** Call before any route is registered: routes registered earlier are not measured. */
export function installRequestMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  const fhir: OnResponse = (_request, reply, done) => {
    metrics.fhirRequest(reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
  const cds: OnResponse = (_request, reply, done) => {
    const cache = reply.getHeader('x-chartside-cds-cache');
    metrics.cdsInvocation(
      cache === 'hit' || cache === 'miss' ? (cache as CdsCache) : 'off',
      reply.statusCode,
    );
    done();
  };
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/fhir/:launchId')) addOnResponse(route, fhir);
    else if (route.url === '/api/cds/:orgId/cds-services/:serviceId') addOnResponse(route, cds);
  });
  app.addHook('onError', async (_request, _reply, error) => {
    metrics.error(errorCode(error));
  });
}

function addOnResponse(route: RouteOptions, hook: OnResponse): void {
  const existing = route.onResponse;
  route.onResponse =
    existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
}

/**
 * The catalogue code an error is answered with; the console's own refusals (no session, a failed
 * CSRF check: admin/console-errors.ts) are not catalogue errors and count as `console_refused`.
 */
function errorCode(error: Error): string {
  if (error.name === 'ConsoleRefusal') return 'console_refused';
  return toChartsideError(error).code;
}
