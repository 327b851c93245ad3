/**
 * Audit events: who did what, when. Never bodies, tokens or secrets (see docs/events.md).
 */
import type { Db } from '../db/index.ts';

/**
 * `noun.verb` in the domain's words, e.g. `launch.ready`, `api_key.created`. The list of actions
 * we emit is docs/events.md.
 */
export type AuditAction = `${string}.${string}`;

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
