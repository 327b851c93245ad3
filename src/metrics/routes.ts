/**
 * `GET /metrics` on the main port when `CHARTSIDE_METRICS_TOKEN` is set and no separate
 * `CHARTSIDE_METRICS_PORT` is (metrics-server.ts serves that one). Unset, it is not routed: it
 * answers like any unknown path. Wiring only.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { metricsHandler } from './exposition.ts';
import { metricsRoute } from './schemas.ts';

export function metricsRoutes(app: FastifyInstance, services: Services): void {
  const { token, port } = services.config.metrics;
  if (port !== null || token === null) return;
  app.get('/metrics', { logLevel: 'warn', schema: metricsRoute }, metricsHandler(services.metrics, token));
}
