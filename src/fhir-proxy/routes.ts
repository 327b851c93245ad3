import type { FastifyInstance, FastifyReply } from 'fastify';
import { createAuditWriter } from '../audit/audit-writer.ts';
import { proxyCdsFhirRequest } from '../cds/fhir-access.ts';
import { CDS_FHIR_PREFIX } from '../cds/fhir-token.ts';
import { createLaunchTokens } from '../launch/launch-tokens.ts';
import type { Services } from '../services.ts';
import { registerFhirBodyParsers } from './body-parsers.ts';
import { type ProxyRequest, proxyFhirRequest } from './proxy-request.ts';
import { fhirProxySchema } from './schemas.ts';

/**
 * `/fhir/:launchId/*`: the FHIR proxy, in its own scope (FHIR body parsers). Its errors are
 * OperationOutcomes: the `fhir` surface (errors/surface.ts).
 */
export async function fhirProxyRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const audit = createAuditWriter(services.db, app.log, { engine: services.engine });
  app.addHook('onClose', () => audit.flush());
  const deps = {
    services,
    tokens: createLaunchTokens(services),
    audit,
    launches: services.readyLaunches,
  };

  await app.register(
    async (scope) => {
      registerFhirBodyParsers(scope);
      const route = {
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        bodyLimit: services.config.fhirMaxRequestBytes,
        schema: fhirProxySchema,
        // A CDS service's token (cds/fhir-token.ts) is accepted only under its own `cds-` base.
        handler: (request: ProxyRequest, reply: FastifyReply) =>
          request.params.launchId.startsWith(CDS_FHIR_PREFIX)
            ? proxyCdsFhirRequest(deps, request, reply)
            : proxyFhirRequest(deps, request, reply),
      };
      scope.route({ ...route, url: '/:launchId' });
      scope.route({ ...route, url: '/:launchId/*' });
    },
    { prefix: '/fhir' },
  );
}
