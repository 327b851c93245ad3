/**
 * `/fhir/cds-<id>/…`: a CDS service reading the hook's patient with the token the relay gave it
 * (fhir-token.ts). The request goes to the EHR with the EHR's token from inside our token, under
 * the same URL policy as the FHIR proxy's for that source's environment (production: https and
 * public or allowed private addresses, checked again where the connection is made); the answer
 * is relayed like any proxied FHIR answer (relay.ts: links rewritten to this base). No renewal:
 * when the EHR's short-lived token expires, so does ours.
 */
import type { FastifyReply } from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';
import type { AuditWriter } from '../fhir-proxy/audit-writer.ts';
import { fhirRequestEvent, newFhirAuditRecord } from '../fhir-proxy/fhir-audit.ts';
import { describeInteraction } from '../fhir-proxy/fhir-interaction.ts';
import { parseFhirTarget, upstreamUrl } from '../fhir-proxy/fhir-path.ts';
import type { ProxyRequest } from '../fhir-proxy/proxy-request.ts';
import { relayResponse } from '../fhir-proxy/relay.ts';
import { OutboundError, type OutboundStreamResponse } from '../http/outbound.ts';
import { assertAllowedUrl, urlPolicyFor } from '../http/url-policy.ts';
import type { Services } from '../services.ts';
import { checkCdsFhirAccess, verifyCdsFhirToken } from './fhir-token.ts';

export async function proxyCdsFhirRequest(
  deps: { services: Services; audit: AuditWriter },
  request: ProxyRequest,
  reply: FastifyReply,
) {
  const { services } = deps;
  const handle = request.params.launchId;
  const grant = await verifyCdsFhirToken(services, handle, request.headers.authorization);
  const audit = newFhirAuditRecord({
    orgId: grant.orgId,
    apiKeyPrefix: 'cds',
    requestId: request.id,
    method: request.method,
    startedAt: Date.now(),
  });
  reply.raw.once('close', () =>
    deps.audit.add({ ...fhirRequestEvent(audit, reply.raw.statusCode), actor: `cds_token:${handle}` }),
  );
  try {
    const target = parseFhirTarget(request.url, handle);
    audit.interaction = describeInteraction(request.method, target.segments);
    audit.query = target.query;
    checkCdsFhirAccess(grant, request.method, target.segments, target.query);
    const url = upstreamUrl(grant.fhirBase, target);
    const policy = urlPolicyFor(grant, services.config.allowPrivateUpstreams);
    assertAllowedUrl(url.href, policy, 'FHIR base');
    let upstream: OutboundStreamResponse;
    try {
      upstream = await services.http.stream(url, {
        method: 'GET',
        headers: { accept: 'application/fhir+json', authorization: `Bearer ${grant.ehrToken}` },
        timeoutMs: services.config.fhirTimeoutMs,
        policy,
      });
    } catch (error) {
      if (!(error instanceof OutboundError)) throw error;
      if (error.kind === 'timeout') throw new ChartsideError('fhir_timeout', { cause: error });
      throw new ChartsideError('fhir_error', {
        message: 'The EHR’s FHIR server could not be reached.',
        cause: error,
      });
    }
    audit.ehrStatus = upstream.status;
    const relay = await relayResponse(upstream, reply, {
      bases: {
        ehrBase: grant.fhirBase.replace(/\/+$/, ''),
        proxyBase: `${services.config.publicUrl}/fhir/${handle}`,
      },
      maxBytes: services.config.fhirMaxResponseBytes,
      method: request.method,
    });
    audit.bytes = relay.bytes;
    audit.truncated = relay.truncated;
    return reply;
  } catch (error) {
    audit.errorCode = error instanceof ChartsideError ? error.code : 'internal_error';
    throw error;
  }
}
