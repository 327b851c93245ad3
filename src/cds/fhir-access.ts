/**
 * `/fhir/cds-<id>/…`: a CDS service reading the hook's patient with the token the relay gave it
 * (fhir-token.ts). The request goes to the EHR with the EHR's token from inside our token, under
 * the same URL policy as the FHIR proxy's for that source's environment (production: https and
 * public or allowed private addresses, checked again where the connection is made); the answer
 * is relayed like any proxied FHIR answer (relay.ts: links rewritten to this base). No renewal:
 * when the EHR's short-lived token expires, so does ours.
 */
import type { FastifyReply } from 'fastify';
import type { AuditWriter } from '../audit/audit-writer.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { fhirRequestEvent, newFhirAuditRecord } from '../fhir-relay/fhir-audit.ts';
import { describeInteraction } from '../fhir-relay/fhir-interaction.ts';
import { parseFhirTarget } from '../fhir-relay/fhir-path.ts';
import { type FhirRelayRequest, relayToClient, sendToEhr, upstreamFor } from '../fhir-relay/upstream.ts';
import type { Services } from '../services.ts';
import { checkCdsFhirAccess, verifyCdsFhirToken } from './fhir-token.ts';

export async function proxyCdsFhirRequest(
  deps: { services: Services; audit: AuditWriter },
  request: FhirRelayRequest,
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
    const upstream = upstreamFor(services, grant, target);
    const answer = await sendToEhr(services, upstream, {
      method: 'GET',
      headers: { accept: 'application/fhir+json', authorization: `Bearer ${grant.ehrToken}` },
    });
    audit.ehrStatus = answer.status;
    const relay = await relayToClient(services, answer, reply, {
      fhirBase: grant.fhirBase,
      handle,
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
