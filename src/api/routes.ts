import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { authenticateApiKey } from './api-keys.ts';
import { readLaunchContext } from './launch-contexts.ts';
import { checkApiVersion } from './versioning.ts';

/** App-facing API (server to server, API key). Errors render as the JSON envelope. */
export function apiRoutes(app: FastifyInstance, services: Services): void {
  app.get<{ Params: { id: string } }>('/launch-contexts/:id', async (request, reply) => {
    const principal = await authenticateApiKey(services.db, request.headers.authorization, {
      cache: services.apiKeyCache,
    });
    checkApiVersion(request.headers.version);
    reply.header('cache-control', 'no-store');
    return readLaunchContext(services, principal, request.params.id, request.id);
  });

  app.get('/health', async () => ({ ok: true, server_time: new Date().toISOString() }));
}
