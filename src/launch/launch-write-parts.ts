/**
 * What the launch's writes share (ehr-launches.ts for the start and a failure,
 * launch-completion.ts for a ready launch).
 *
 * Every launch makes these writes, and they are most of its cost: they are {@link hotQuery}s,
 * compiled once (src/db/statements.ts). One function per row, and both engines write the same
 * rows. On SQLite, where a statement costs no round trip, a group runs in one transaction. On
 * PostgreSQL it is one statement (data-modifying CTEs are atomic and take one round trip instead
 * of five), where a row written only if the launch was still pending is selected from the CTE
 * that changed it ({@link selectRow}): no changed launch, no row. The webhook deliveries the
 * change owes are one more such row (src/webhooks/outbox.ts).
 */
import type { ExpressionBuilder, InsertObject, QueryCreator, RawBuilder, UpdateObject } from 'kysely';
import type { Database } from '../db/index.ts';
import { fromChanged, insertLaunchEvent, subscribedPattern } from '../webhooks/outbox.ts';

export type Row<Table extends keyof Database> = InsertObject<Database, Table>;

/** `row`'s values as a select list (`$1 as "at", …`), for `insert … (columnsOf(row)) select`. */
export function selectRow<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, row: object) {
  return Object.entries(row).map(([column, value]) => eb.val(value).as(column));
}

export const columnsOf = <R extends object>(row: R) => Object.keys(row) as (keyof R & string)[];

/** The launch leaves `pending` with `changes`, and only if it still is. */
export const leavePending = (
  db: QueryCreator<Database>,
  v: { id: string; now: string },
  changes: UpdateObject<Database, 'ehr_launch'>,
) =>
  db
    .updateTable('ehr_launch')
    .set({ ...changes, updated_at: v.now, completed_at: v.now })
    .where('id', '=', v.id)
    .where('status', '=', 'pending');

/** The audit event of a launch write (docs/events.md). */
export const launchEvent = (
  action: string,
  v: { id: string; now: string; requestId: string; details: string },
  orgId: Row<'audit_event'>['org_id'],
): Row<'audit_event'> => ({
  at: v.now,
  org_id: orgId,
  actor: 'ehr',
  action,
  launch_id: v.id,
  request_id: v.requestId,
  details: v.details,
});

/**
 * The webhook event a launch's outcome owes (src/webhooks/events.ts), with the org and environment
 * of the changed row: literal values on SQLite, the CTE's columns on PostgreSQL. A failure carries
 * its code.
 */
export function outcomeEvent<T extends string | RawBuilder<string>>(
  v: { id: string; now: string; messageId: string },
  orgId: T,
  environment: T,
  failure?: { code: string },
) {
  return {
    type: failure ? ('launch.failed' as const) : ('launch.ready' as const),
    messageId: v.messageId,
    launchId: v.id,
    orgId,
    environment,
    status: failure ? 'failed' : 'ready',
    at: v.now,
    ...(failure && { code: failure.code }),
  };
}

/**
 * PostgreSQL: the outcome's webhook deliveries as a CTE of the launch's statement, with the org
 * and environment of the row the CTE `changed` wrote. No row there (the launch was no longer
 * pending): the org is NULL, no endpoint matches, nothing is delivered.
 */
export function outcomeDeliveries(
  changed: 'ready' | 'failed',
  v: { id: string; now: string; messageId: string },
  failure?: { code: string },
) {
  const event = outcomeEvent(
    v,
    fromChanged<string>(changed, 'org_id'),
    fromChanged<string>(changed, 'environment'),
    failure,
  );
  const pattern = subscribedPattern(event.type);
  return <DB extends Database>(db: QueryCreator<DB>) => insertLaunchEvent(db, event, pattern);
}
