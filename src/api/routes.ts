import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { type ApiKeyPrincipal, authenticateApiKey } from './api-keys.ts';
import { endLaunchContext } from './end-launch.ts';
import { readLaunchContext } from './launch-contexts.ts';
import { endLaunchSchema, healthSchema, launchContextSchema } from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated an app-facing request (set before validation). */
    apiKey: ApiKeyPrincipal | null;
  }
}

/** App-facing API (server to server, API key). Errors render as the JSON envelope. */
export function apiRoutes(app: FastifyInstance, services: Services): void {
  app.register(async (scope) => {
    scope.decorateRequest('apiKey', null);
    // Who is asking comes first: an unknown caller learns nothing about what input is valid.
    scope.addHook('preValidation', async (request) => {
      request.apiKey = await authenticateApiKey(services.db, request.headers.authorization, {
        cache: services.apiKeyCache,
      });
    });
    scope.get<{ Params: { id: string } }>(
      '/launch-contexts/:id',
      { schema: launchContextSchema },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return readLaunchContext(services, request.apiKey as ApiKeyPrincipal, request.params.id, request.id);
      },
    );
    scope.delete<{ Params: { id: string } }>(
      '/launch-contexts/:id',
      { schema: endLaunchSchema },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        return endLaunchContext(services, request.apiKey as ApiKeyPrincipal, request.params.id, request);
      },
    );
  });

  app.get('/health', { schema: healthSchema }, async () => ({
    ok: true,
    server_time: new Date().toISOString(),
  }));
}
