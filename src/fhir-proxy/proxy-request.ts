/**
 * `/fhir/:launchId/<FHIR path>`: an app's FHIR request, sent to the launch's FHIR base with the
 * launch's EHR token, the answer relayed back (relay.ts). Requests without a valid API key are
 * refused before anything else and, having no org, are not in an org's audit trail.
 *
 * 1. the API key must belong to the launch's org and environment (any other launch answers like a
 *    missing one);
 * 2. the path must stay under the FHIR base (fhir-path.ts);
 * 3. the token is renewed first when it is about to expire, and once more when the EHR answers
 *    401 (launch-tokens.ts), then the request is sent again;
 * 4. EHR answers, errors included, are relayed with their status; our own refusals are
 *    OperationOutcomes with our request id (errors/render.ts).
 */
import type { FastifyReply } from 'fastify';
import { type ApiKeyPrincipal, authenticateApiKey } from '../api/api-keys.ts';
import { principalMayRead } from '../api/launch-contexts.ts';
import type { AuditWriter } from '../audit/audit-writer.ts';
import type { LookupCache } from '../cache/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type FhirAuditRecord, fhirRequestEvent, newFhirAuditRecord } from '../fhir-relay/fhir-audit.ts';
import { describeInteraction } from '../fhir-relay/fhir-interaction.ts';
import { parseFhirTarget } from '../fhir-relay/fhir-path.ts';
import { type FhirRelayRequest, relayToClient, sendToEhr, upstreamFor } from '../fhir-relay/upstream.ts';
import type { OutboundStreamResponse } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import type { HeldToken, LaunchTokens, TokenRequester } from '../launch/launch-tokens.ts';
import { findProxiedLaunch, type ProxiedLaunch } from '../launch/proxied-launch.ts';
import { isUuid } from '../launch/uuid.ts';
import type { Services } from '../services.ts';

export type ProxyRequest = FhirRelayRequest;

export type { ProxiedLaunch };

/** Request headers relayed to the EHR: content negotiation, conditional requests, Prefer. */
const RELAYED_REQUEST_HEADERS = ['accept', 'content-type', 'prefer'];
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface ProxyDeps {
  readonly services: Services;
  readonly tokens: LaunchTokens;
  readonly audit: AuditWriter;
  /**
   * Ready launches read in the last `lookupCacheMs` (services.readyLaunches); forgotten when their
   * token changes here, or when they end in this process.
   */
  readonly launches: LookupCache<ProxiedLaunch>;
}

export async function proxyFhirRequest(deps: ProxyDeps, request: ProxyRequest, reply: FastifyReply) {
  const { services } = deps;
  const principal = await authenticateApiKey(services.db, request.headers.authorization, {
    cache: services.apiKeyCache,
  });
  const audit = newFhirAuditRecord({
    orgId: principal.orgId,
    apiKeyPrefix: principal.prefix,
    requestId: request.id,
    method: request.method,
    startedAt: Date.now(),
  });
  // Written once the response is over, however it ended (sent, refused, cut off, client gone),
  // so status, bytes and duration are final and the write adds nothing to the app's latency.
  reply.raw.once('close', () => deps.audit.add(fhirRequestEvent(audit, reply.raw.statusCode)));
  try {
    return await forward(deps, request, reply, principal, audit);
  } catch (error) {
    audit.errorCode = error instanceof ChartsideError ? error.code : 'internal_error';
    // The launch may have ended or its token may be gone: read it again next time.
    deps.launches.forget(request.params.launchId);
    throw error;
  }
}

async function forward(
  deps: ProxyDeps,
  request: ProxyRequest,
  reply: FastifyReply,
  principal: ApiKeyPrincipal,
  audit: FhirAuditRecord,
) {
  const { services, tokens } = deps;
  const { launchId } = request.params;
  // Another org's launch answers exactly like a missing one, whatever the path: no existence oracle.
  const launch = isUuid(launchId) ? await loadProxiedLaunch(deps, launchId) : undefined;
  if (!launch || !principalMayRead(principal, launch)) {
    throw new ChartsideError('resource_not_found', { param: 'launchId', message: 'No launch with this id.' });
  }
  audit.launchId = launch.id;
  const target = parseFhirTarget(request.url, launchId);
  audit.interaction = describeInteraction(request.method, target.segments);
  audit.query = target.query;
  const upstream = upstreamFor(
    services,
    { fhirBase: launch.iss, environment: launch.source_environment ?? 'production' },
    target,
  );

  const who: TokenRequester = {
    actor: `api_key:${principal.prefix}`,
    requestId: request.id,
    log: request.log,
  };
  const body = WITH_BODY.has(request.method) && Buffer.isBuffer(request.body) ? request.body : undefined;
  let token = await tokens.current(launch, who);
  let answer = await send(services, upstream, request, token, body);
  if (answer.status === 401) {
    // The EHR refused the token (expired early, revoked): renew once and try again.
    await answer.discard();
    token = await tokens.afterRefusal(launch, token, who);
    answer = await send(services, upstream, request, token, body);
    if (answer.status === 401) {
      await answer.discard();
      audit.ehrStatus = 401;
      throw new ChartsideError('token_unavailable', {
        message: 'The EHR refused this launch’s access token even after renewing it; launch the app again.',
      });
    }
  }
  audit.tokenRenewed = token.sealed !== launch.access_token;
  if (audit.tokenRenewed) deps.launches.forget(launch.id);
  audit.ehrStatus = answer.status;
  const relay = await relayToClient(services, answer, reply, {
    fhirBase: launch.iss,
    handle: launch.id,
    method: request.method,
  });
  audit.bytes = relay.bytes;
  audit.truncated = relay.truncated;
  return reply;
}

/** The app's request as the EHR gets it: chosen headers, the launch's token, the body as sent. */
function send(
  services: Services,
  upstream: { url: URL; policy: UrlPolicy },
  request: ProxyRequest,
  token: HeldToken,
  body: Buffer | undefined,
): Promise<OutboundStreamResponse> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value !== 'string') continue;
    if (RELAYED_REQUEST_HEADERS.includes(name) || name.startsWith('if-')) headers[name] = value;
  }
  // Some EHRs answer XML to a missing or wildcard Accept; the proxy relays (and rewrites) JSON.
  if (!headers.accept || headers.accept.trim() === '*/*') headers.accept = 'application/fhir+json';
  if (!body) delete headers['content-type'];
  headers.authorization = `Bearer ${token.value}`;
  return sendToEhr(services, upstream, { method: request.method, headers, body });
}

async function loadProxiedLaunch(deps: ProxyDeps, id: string): Promise<ProxiedLaunch | undefined> {
  const remembered = deps.launches.get(id);
  if (remembered) return remembered;
  const launch = await findProxiedLaunch(deps.services.db, id);
  // Only ready launches: a pending one is about to change, an ended one answers from its row.
  if (launch?.status === 'ready') deps.launches.set(id, launch);
  return launch;
}
