/** `POST /api/cds/:orgId/cds-services/:serviceId/feedback`: relayed to the app with our JWT. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import { appServiceUrl, callApp } from './app-client.ts';
import type { CdsLookups } from './cds-lookups.ts';
import { confirmedCaller } from './inbound-jwt.ts';
import { auditFor, failureDetails, type ServiceParams } from './relay-support.ts';
import type { Feedback } from './schemas.ts';

export function feedbackHandler(services: Services, lookups: CdsLookups) {
  return async (request: FastifyRequest<{ Params: ServiceParams; Body: Feedback }>, reply: FastifyReply) => {
    const { orgId, serviceId } = request.params;
    const caller = await confirmedCaller(request);
    const connection = await lookups.connection(orgId);
    const body = request.body;
    const url = appServiceUrl(connection.cdsEndpoint, serviceId, 'feedback');
    const result = await callApp(services, url, orgId, {
      method: 'POST',
      body: { feedback: body.feedback },
      timeoutMs: services.config.cdsTimeoutMs,
    });
    if (!result.ok) {
      const audit = auditFor(services.db, request, orgId, `cds:${caller.issuer}`);
      await audit('cds.feedback_failed', { service: serviceId, ...failureDetails(result) });
      throw new ChartsideError('cds_service_error', {
        message: 'The app’s CDS service did not accept the feedback.',
      });
    }
    return reply.code(200).header('cache-control', 'no-store').send();
  };
}
