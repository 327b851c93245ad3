/**
 * Audit events: who did what, when. Never bodies, tokens or secrets (see docs/events.md).
 */
import type { Db } from '../db/index.ts';

export type AuditAction =
  | 'launch.started'
  | 'launch.ready'
  | 'launch.failed'
  | 'launch_context.read'
  | 'org.created'
  | 'fhir_source.added'
  | 'connection.updated'
  | 'api_key.created';

export interface AuditEvent {
  action: AuditAction;
  actor: string;
  orgId?: string | null;
  launchId?: string | null;
  requestId?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export async function recordAudit(db: Db, event: AuditEvent, now = new Date()): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      at: now.toISOString(),
      org_id: event.orgId ?? null,
      actor: event.actor,
      action: event.action,
      launch_id: event.launchId ?? null,
      request_id: event.requestId ?? null,
      details: event.details ? JSON.stringify(event.details) : null,
    })
    .execute();
}
