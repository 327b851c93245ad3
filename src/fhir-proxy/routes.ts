import type { FastifyInstance, FastifyReply } from 'fastify';
import { LookupCache } from '../db/lookup-cache.ts';
import { installFhirErrorHandling } from '../errors/fastify.ts';
import { createLaunchTokens } from '../launch/launch-tokens.ts';
import type { Services } from '../services.ts';
import { createAuditWriter } from './audit-writer.ts';
import { registerFhirBodyParsers } from './body-parsers.ts';
import { type ProxiedLaunch, type ProxyRequest, proxyFhirRequest } from './proxy-request.ts';

/**
 * `/fhir/:launchId/*`: the FHIR proxy, in its own scope (FHIR body parsers, OperationOutcome
 * errors).
 */
export async function fhirProxyRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const audit = createAuditWriter(services.db, app.log, { engine: services.engine });
  app.addHook('onClose', () => audit.flush());
  const deps = {
    services,
    tokens: createLaunchTokens(services),
    audit,
    launches: new LookupCache<ProxiedLaunch>(services.config.lookupCacheMs),
  };

  await app.register(
    async (scope) => {
      installFhirErrorHandling(scope);
      registerFhirBodyParsers(scope);
      const route = {
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        bodyLimit: services.config.fhirMaxRequestBytes,
        handler: (request: ProxyRequest, reply: FastifyReply) => proxyFhirRequest(deps, request, reply),
      };
      scope.route({ ...route, url: '/:launchId' });
      scope.route({ ...route, url: '/:launchId/*' });
    },
    { prefix: '/fhir' },
  );
}
