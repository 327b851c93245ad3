/**
 * The org's `ehr_launch` rows for the Launches page, newest first. Token columns are never
 * read: the query asks the database only whether each one is held.
 */
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import { type Page, type PageRequest, shapePage } from '../db/paging.ts';

export interface LaunchRow {
  id: string;
  status: string;
  environment: string;
  created_at: string;
  completed_at: string | null;
  source_name: string | null;
  iss: string;
  patient_fhir_id: string | null;
  encounter_fhir_id: string | null;
  fhir_user: string | null;
  scope: string | null;
  requested_scope: string;
  has_access_token: number;
  has_refresh_token: number;
  error_code: string | null;
  ehr_error: string | null;
  ehr_error_uri: string | null;
}

export interface LaunchCursor {
  createdAt: string;
  id: string;
}

export const LAUNCH_STATUSES = ['pending', 'ready', 'failed', 'expired', 'refresh_failed', 'ended'] as const;

export function encodeLaunchCursor(cursor: LaunchCursor): string {
  return `${cursor.createdAt}~${cursor.id}`;
}

export function decodeLaunchCursor(value: string | undefined): LaunchCursor | null {
  const match = value
    ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z)~([0-9a-f-]{36})$/.exec(value)
    : null;
  return match ? { createdAt: match[1] as string, id: match[2] as string } : null;
}

export async function listLaunches(
  db: Db,
  orgId: string,
  filter: { status: string | null },
  request: PageRequest<LaunchCursor>,
  size: number,
): Promise<Page<LaunchRow, LaunchCursor>> {
  let query = db
    .selectFrom('ehr_launch as l')
    .leftJoin('fhir_source as s', 's.id', 'l.fhir_source_id')
    .select([
      'l.id',
      'l.status',
      'l.environment',
      'l.created_at',
      'l.completed_at',
      's.name as source_name',
      'l.iss',
      'l.patient_fhir_id',
      'l.encounter_fhir_id',
      'l.fhir_user',
      'l.scope',
      'l.requested_scope',
      sql<number>`case when l.access_token is null then 0 else 1 end`.as('has_access_token'),
      sql<number>`case when l.refresh_token is null then 0 else 1 end`.as('has_refresh_token'),
      'l.error_code',
      'l.ehr_error',
      'l.ehr_error_uri',
    ])
    .where('l.org_id', '=', orgId);
  if (filter.status) query = query.where('l.status', '=', filter.status);
  if (request.direction === 'first') {
    query = query.orderBy('l.created_at', 'desc').orderBy('l.id', 'desc');
  } else {
    const { createdAt, id } = request.cursor;
    const older = request.direction === 'older';
    const cmp = older ? '<' : '>';
    query = query
      .where((eb) =>
        eb.or([
          eb('l.created_at', cmp, createdAt),
          eb.and([eb('l.created_at', '=', createdAt), eb('l.id', cmp, id)]),
        ]),
      )
      .orderBy('l.created_at', older ? 'desc' : 'asc')
      .orderBy('l.id', older ? 'desc' : 'asc');
  }
  const fetched = await query.limit(size + 1).execute();
  return shapePage(fetched, request, size, (row) => ({ createdAt: row.created_at, id: row.id }));
}

/**
 * Statuses the filter offers: the launch's life cycle (pending → ready or failed; a ready
 * launch later ends as expired or refresh_failed). A status outside the list is ignored.
 */
export function isLaunchStatus(value: string): boolean {
  return (LAUNCH_STATUSES as readonly string[]).includes(value);
}
