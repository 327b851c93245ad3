/** Small pieces the CDS handlers share: JSON shape checks, the app's origins, replies, audit. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuditEvent, recordAudit } from '../audit/audit-log.ts';
import type { Db } from '../db/index.ts';
import type { CdsConnection } from '../settings/cds-connections.ts';
import type { AppCallResult } from './app-client.ts';

export type { CdsConnection };

export type OrgParams = { orgId: string };
export type ServiceParams = { orgId: string; serviceId: string };

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Origins whose `smart` links are the app's own: its CDS endpoint's and its launch URL's. */
export function appOrigins(connection: CdsConnection): string[] {
  const origins = [new URL(connection.cdsEndpoint).origin];
  if (connection.appLaunchUrl) origins.push(new URL(connection.appLaunchUrl).origin);
  return origins;
}

export function failureDetails(result: Extract<AppCallResult, { ok: false }>) {
  return { reason: result.reason, status: result.status };
}

/** An audit writer bound to this request; a failed write is logged, never fails the hook. */
export function auditFor(db: Db, request: FastifyRequest, orgId: string, actor: string) {
  return (action: AuditEvent['action'], details: NonNullable<AuditEvent['details']>) =>
    recordAudit(db, { action, actor, orgId, requestId: request.id, details }).catch((error: unknown) => {
      request.log.error({ err: error, action }, 'could not write the CDS audit event');
    });
}

export function sendJson(reply: FastifyReply, body: unknown) {
  return reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}
