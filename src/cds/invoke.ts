/**
 * `POST /api/cds/:orgId/cds-services/:serviceId`, in order: the EHR's JWT (inbound-jwt.ts), the
 * org's CDS endpoint, the hook body, the cache (cache.ts), FHIR access (fhir-grant.ts), the app
 * call within the time budget (app-client.ts), the card checks (cards.ts). Whatever the app
 * does, the EHR gets a conformant answer; failures are audited, never cached.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { launchUrl } from '../launch/urls.ts';
import type { Services } from '../services.ts';
import { appServiceUrl, callApp } from './app-client.ts';
import { cacheKey, readCachedAnswer, storeAnswer } from './cache.ts';
import { checkCdsResponse } from './cards.ts';
import type { CdsLookups } from './cds-lookups.ts';
import { grantFhirAccess } from './fhir-grant.ts';
import { confirmedCaller } from './inbound-jwt.ts';
import { appOrigins, auditFor, failureDetails, type ServiceParams, sendJson } from './relay-support.ts';
import type { HookRequest } from './schemas.ts';

/** The hook request as forwarded: only the fields the app may see. */
export interface ForwardedHook {
  hook: string;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: Record<string, unknown>;
  context: Record<string, unknown>;
  prefetch?: Record<string, unknown>;
  extension?: Record<string, unknown>;
}

export function invokeHandler(services: Services, lookups: CdsLookups) {
  const { db, config } = services;
  return async (
    request: FastifyRequest<{ Params: ServiceParams; Body: HookRequest }>,
    reply: FastifyReply,
  ) => {
    const { orgId, serviceId } = request.params;
    const connection = await lookups.connection(orgId);
    const hook = forwardedHook(request.body);

    const key = connection.cdsCaching
      ? cacheKey({
          orgId,
          cdsEndpoint: connection.cdsEndpoint,
          serviceId,
          hook: hook.hook,
          context: hook.context,
          prefetch: hook.prefetch,
        })
      : null;
    // The replay check (the jti's insert) and the cache read go to the database side by side;
    // nothing is answered or sent to the app before the replay check has passed.
    const [caller, cached] = await Promise.all([
      confirmedCaller(request),
      key ? readCachedAnswer(db, key) : undefined,
    ]);
    const audit = auditFor(db, request, orgId, `cds:${caller.issuer}`);
    const about = { service: serviceId, hook: hook.hook };
    if (key) {
      if (cached !== undefined) return sendJson(reply.header('x-chartside-cds-cache', 'hit'), cached);
      reply.header('x-chartside-cds-cache', 'miss');
    }

    const access = await grantFhirAccess(services, orgId, connection, request.body);
    if (access.granted) {
      hook.fhirServer = access.fhirServer;
      hook.fhirAuthorization = access.fhirAuthorization;
    } else if (access.reason) {
      await audit('cds.fhir_access_withheld', { ...about, reason: access.reason });
    }

    const result = await callApp(services, appServiceUrl(connection.cdsEndpoint, serviceId), orgId, {
      method: 'POST',
      body: hook,
      timeoutMs: config.cdsTimeoutMs,
    });
    if (!result.ok) {
      await audit('cds.service_failed', { ...about, ...failureDetails(result) });
      return sendJson(reply, { cards: [] });
    }
    const checked = checkCdsResponse(result.body, {
      appOrigins: appOrigins(connection),
      launchUrl: launchUrl(config, orgId),
    });
    if (checked.malformed) {
      await audit('cds.service_failed', { ...about, reason: 'malformed', status: result.status });
    } else if (key) {
      await storeAnswer(db, { key, orgId, body: checked.body, ttlSeconds: config.cdsCacheTtlSeconds });
    }
    for (const drop of checked.dropped) {
      await audit('cds.card_dropped', { ...about, index: drop.index, reason: drop.reason });
    }
    return sendJson(reply, checked.body);
  };
}

/** Only the fields the app may see (the EHR's FHIR grant is replaced by ours, fhir-grant.ts). */
function forwardedHook(body: HookRequest): ForwardedHook {
  const { hook, hookInstance, context, prefetch, extension } = body;
  return { hook, hookInstance, context, ...(prefetch && { prefetch }), ...(extension && { extension }) };
}
