/**
 * Reading an org's audit trail: the console's Audit page (newest first, a page at a time) and
 * `chartside audit` (oldest first, filtered).
 */
import type { Db } from '../db/index.ts';
import { type Page, type PageRequest, shapePage } from '../db/paging.ts';

export interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: string;
  launch_id: string | null;
  request_id: string | null;
  details: string | null;
}

export function decodeAuditCursor(value: string | undefined): number | null {
  if (!value || !/^\d{1,18}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

export async function listAuditEvents(
  db: Db,
  orgId: string,
  filter: { launchId: string | null },
  request: PageRequest<number>,
  size: number,
): Promise<Page<AuditRow, number>> {
  let query = db
    .selectFrom('audit_event')
    .select(['id', 'at', 'actor', 'action', 'launch_id', 'request_id', 'details'])
    .where('org_id', '=', orgId);
  if (filter.launchId) query = query.where('launch_id', '=', filter.launchId);
  if (request.direction === 'first') {
    query = query.orderBy('id', 'desc');
  } else if (request.direction === 'older') {
    query = query.where('id', '<', request.cursor).orderBy('id', 'desc');
  } else {
    query = query.where('id', '>', request.cursor).orderBy('id', 'asc');
  }
  const fetched = (await query.limit(size + 1).execute()).map((row) => ({
    ...row,
    // PostgreSQL returns bigint identity values as strings.
    id: Number(row.id),
  }));
  return shapePage(fetched, request, size, (row) => row.id);
}

/** An event as `chartside audit` prints it: details parsed. */
export interface AuditEventView {
  id: number;
  at: string;
  action: string;
  actor: string;
  org_id: string | null;
  launch_id: string | null;
  request_id: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditFilter {
  orgId: string;
  launchId: string | undefined;
  since: string | undefined;
  limit: number;
}

/** The org's events, oldest first, details parsed. */
export async function readAuditTrail(db: Db, filter: AuditFilter): Promise<AuditEventView[]> {
  let query = db
    .selectFrom('audit_event')
    .selectAll()
    .where('org_id', '=', filter.orgId)
    .orderBy('id', 'asc')
    .limit(filter.limit);
  if (filter.launchId) query = query.where('launch_id', '=', filter.launchId);
  if (filter.since) query = query.where('at', '>=', filter.since);
  return (await query.execute()).map((row) => ({
    id: Number(row.id),
    at: row.at,
    action: row.action,
    actor: row.actor,
    org_id: row.org_id,
    launch_id: row.launch_id,
    request_id: row.request_id,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  }));
}
