import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { createReadiness, type Readiness } from './readiness.ts';
import { livenessSchema, readinessSchema } from './schemas.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Read by the graceful shutdown (server.ts) to turn `/readyz` to 503 at SIGTERM. */
    readiness: Readiness;
  }
}

/**
 * Probes for load balancers and orchestrators: no API key, no audit rows, never cached, and no
 * request log lines at info level (`logLevel: 'warn'`), since they arrive every few seconds.
 * Their bodies are deliberately tiny and stable, not the error envelope: probes read the status.
 */
export function healthRoutes(app: FastifyInstance, services: Services): void {
  const readiness = createReadiness(services.db, services.engine, app.log);
  app.decorate('readiness', readiness);
  const probe = { logLevel: 'warn' as const };

  app.get('/healthz', { ...probe, schema: livenessSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'ok' };
  });

  app.get('/readyz', { ...probe, schema: readinessSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    const answer = await readiness.check();
    if (answer.ready) return { status: 'ready' };
    return reply.code(503).send({ status: 'not_ready', reason: answer.reason });
  });

  // Once shutdown has begun, no connection is kept alive past its current response: clients
  // (the load balancer) reconnect, and reach another process once this one stops listening.
  // (Callback style: every response runs it, and an async hook costs a promise.)
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (readiness.shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });
}
