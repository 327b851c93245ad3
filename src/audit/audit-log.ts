/**
 * Audit events: who did what, when. Never bodies, tokens or secrets (see docs/events.md).
 */
import type { Insertable } from 'kysely';
import type { AuditEventTable, Db } from '../db/index.ts';
import { hotQuery } from '../db/statements.ts';

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

/** One audit row, every column named (a hot query reads each one). */
export type AuditRow = Required<Omit<Insertable<AuditEventTable>, 'id'>>;

/**
 * The one single-row insert into audit_event, compiled once: every context read and every
 * proxied FHIR request on SQLite writes one, and building the query each time cost more client
 * CPU than running it.
 */
export const insertAuditRow = hotQuery('insert_audit_event', (db, v: AuditRow) =>
  db.insertInto('audit_event').values({
    at: v.at,
    org_id: v.org_id,
    actor: v.actor,
    action: v.action,
    launch_id: v.launch_id,
    request_id: v.request_id,
    details: v.details,
  }),
);

export async function recordAudit(db: Db, event: AuditEvent, now = new Date()): Promise<void> {
  await insertAuditRow(db, {
    at: now.toISOString(),
    org_id: event.orgId ?? null,
    actor: event.actor,
    action: event.action,
    launch_id: event.launchId ?? null,
    request_id: event.requestId ?? null,
    details: event.details ? JSON.stringify(event.details) : null,
  });
}
