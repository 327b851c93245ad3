/**
 * The org-scoped CDS Hooks URL the EHR calls (README.md#cds-hooks-relay), in its own scope. Its
 * errors are the API envelope with a `WWW-Authenticate` challenge on 401: the `cds` surface
 * (errors/surface.ts). Wiring only; see README.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { createCdsLookups } from './cds-lookups.ts';
import { discoveryHandler } from './discovery.ts';
import { feedbackHandler } from './feedback.ts';
import { authenticateCdsCaller, replayBackstop } from './inbound-jwt.ts';
import { invokeHandler } from './invoke.ts';
import { discoverySchema, feedbackSchema, invokeSchema } from './schemas.ts';

export async function cdsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const lookups = createCdsLookups(services.db, services.config.lookupCacheMs);
  await app.register(
    async (scope) => {
      scope.decorateRequest('cdsCaller', null);
      scope.addHook('onSend', replayBackstop);
      scope.get('/:orgId/cds-services', { schema: discoverySchema }, discoveryHandler(services, lookups));
      scope.post(
        '/:orgId/cds-services/:serviceId',
        { schema: invokeSchema, preValidation: authenticateCdsCaller(services, lookups) },
        invokeHandler(services, lookups),
      );
      scope.post(
        '/:orgId/cds-services/:serviceId/feedback',
        { schema: feedbackSchema, preValidation: authenticateCdsCaller(services, lookups, 'feedback') },
        feedbackHandler(services, lookups),
      );
    },
    { prefix: '/api/cds' },
  );
}
