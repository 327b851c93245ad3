/**
 * FHIR OperationOutcome bodies and the header set Cerner's R4 server sends (docs/cerner.md §14
 * and S7).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { OperationOutcome } from 'fhir/r4.js';

export const FHIR_JSON = 'application/fhir+json';

type IssueCode = OperationOutcome['issue'][number]['code'];

export function operationOutcome(
  code: IssueCode,
  diagnostics: string,
  location?: string[],
): OperationOutcome {
  const issue: OperationOutcome['issue'][number] = { severity: 'error', code, diagnostics };
  if (location) issue.location = location;
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** CORS for any origin, as documented for the R4 server (docs/cerner.md §14). */
export function setFhirCors(reply: FastifyReply): void {
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-allow-methods', 'DELETE, GET, POST, PUT, PATCH, OPTIONS, HEAD');
  reply.header(
    'access-control-expose-headers',
    'ETag, Content-Location, Location, X-Request-Id, WWW-Authenticate, Date',
  );
  reply.header('access-control-max-age', '0');
}

/** Headers every FHIR response carries: request ids, Vary, no-cache and CORS. */
export function setFhirHeaders(reply: FastifyReply): void {
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  reply.header('opc-request-id', requestId);
  reply.header('vary', 'Origin');
  reply.header('cache-control', 'no-cache');
  setFhirCors(reply);
}

export function sendFhir(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  setFhirHeaders(reply);
  return reply.code(status).type(FHIR_JSON).send(JSON.stringify(body));
}

/**
 * Accept must allow JSON or FHIR JSON; anything else gets 406 with an empty body (docs/cerner.md §14).
 * A missing Accept header, or one with a wildcard, is fine.
 */
export function acceptsFhirJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const type = (range.split(';')[0] ?? '').trim().toLowerCase();
    return [
      '*/*',
      'application/*',
      'application/json',
      'application/fhir+json',
      'application/json+fhir',
    ].includes(type);
  });
}

/** 403 body for a scope that does not cover the request (S7; the diagnostics format is the spec's pick). */
export function insufficientScopeOutcome(): OperationOutcome {
  return operationOutcome(
    'forbidden',
    'code="urn:cerner:error:oauth2:resource-access:insufficient-scopes", subcode="no_scope_for_resource_path"',
  );
}
