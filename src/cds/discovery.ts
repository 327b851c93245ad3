/**
 * `GET /api/cds/:orgId/cds-services`: the app's services from its own discovery endpoint (asked
 * with our JWT), services that lack `hook`, `id` or `description` left out, cached per process
 * for a minute. Open like most CDS discovery endpoints: it lists no patient data.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LookupCache } from '../cache/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import { appServiceUrl, callApp } from './app-client.ts';
import type { CdsLookups } from './cds-lookups.ts';
import { isObject, isText, type OrgParams, sendJson } from './relay-support.ts';

/** How long the app's discovery answer is reused. */
export const DISCOVERY_TTL_MS = 60_000;

export function discoveryHandler(services: Services, lookups: CdsLookups) {
  const cache = new LookupCache<{ services: unknown[] }>(DISCOVERY_TTL_MS, 1000);
  return async (request: FastifyRequest<{ Params: OrgParams }>, reply: FastifyReply) => {
    const { orgId } = request.params;
    const connection = await lookups.connection(orgId);
    const key = `${orgId}\n${connection.cdsEndpoint}`;
    const cached = cache.get(key);
    if (cached) return sendJson(reply, cached);
    const result = await callApp(services, appServiceUrl(connection.cdsEndpoint), orgId, {
      method: 'GET',
      timeoutMs: services.config.cdsTimeoutMs,
    });
    if (!result.ok || !isObject(result.body) || !Array.isArray(result.body.services)) {
      request.log.warn({ reason: result.ok ? 'malformed' : result.reason }, 'CDS discovery failed');
      throw new ChartsideError('cds_service_error');
    }
    const body = { services: result.body.services.filter(isValidService) };
    cache.set(key, body);
    return sendJson(reply, body);
  };
}

function isValidService(service: unknown): boolean {
  return (
    isObject(service) && isText(service.hook) && isText(service.id) && typeof service.description === 'string'
  );
}
