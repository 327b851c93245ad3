/**
 * `webhook_delivery` after it was written by the outbox: workers claim due rows under a lease,
 * record each attempt's result, and the console lists an endpoint's recent deliveries and starts
 * one again (Redeliver). Every console read and write names the organization.
 */
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';
import { isPostgres } from '../db/statements.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { DeliveryFacts } from './events.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface ClaimedDelivery extends DeliveryFacts {
  readonly endpoint_id: string;
  readonly message_id: string;
  /** Attempts so far, this one included. */
  readonly attempts: number;
}

const CLAIMED_COLUMNS = [
  'endpoint_id',
  'message_id',
  'org_id',
  'event_type',
  'launch_id',
  'environment',
  'launch_status',
  'code',
  'reason',
  'occurred_at',
  'attempts',
] as const;

/**
 * Take up to `limit` due rows for `leaseMs`: pending, due, and not held by a live lease (a lease
 * past its end is a worker that died mid-delivery). One statement; on PostgreSQL the rows are
 * picked `for update skip locked`, so concurrent workers in other processes take other rows
 * instead of waiting; SQLite has a single writer. The attempt is counted when taken, so a row a
 * worker keeps dying on still runs out of attempts.
 */
export async function claimDueDeliveries(
  db: Db,
  holder: string,
  { limit, leaseMs }: { limit: number; leaseMs: number },
  now = Date.now(),
): Promise<ClaimedDelivery[]> {
  const nowIso = new Date(now).toISOString();
  let due = db
    .selectFrom('webhook_delivery')
    .select(['message_id', 'endpoint_id'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', nowIso)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowIso)]))
    .orderBy('next_attempt_at')
    .limit(limit);
  if (isPostgres(db)) due = due.forUpdate().skipLocked();
  return db
    .updateTable('webhook_delivery')
    .set((eb) => ({
      lease_until: new Date(now + leaseMs).toISOString(),
      lease_holder: holder,
      attempts: eb('attempts', '+', 1),
      last_attempt_at: nowIso,
    }))
    .where((eb) =>
      eb(eb.refTuple('message_id', 'endpoint_id'), 'in', due.$asTuple('message_id', 'endpoint_id')),
    )
    .returning([...CLAIMED_COLUMNS])
    .execute();
}

export type AttemptResult =
  | { readonly delivered: true; readonly status: number }
  | { readonly delivered: false; readonly status: number | null; readonly error: string };

/**
 * The attempt's result, if the row is still ours (a Redeliver or another worker after our lease
 * ran out has since taken it). `nextAttemptAt` null after a failure: no attempt left, `failed`.
 */
export async function recordAttempt(
  db: Db,
  delivery: Pick<ClaimedDelivery, 'message_id' | 'endpoint_id'>,
  holder: string,
  result: AttemptResult,
  nextAttemptAt: string | null,
  now = Date.now(),
): Promise<DeliveryStatus> {
  const status: DeliveryStatus = result.delivered ? 'delivered' : nextAttemptAt ? 'pending' : 'failed';
  await db
    .updateTable('webhook_delivery')
    .set({
      status,
      lease_until: null,
      lease_holder: null,
      last_response_status: result.status,
      last_error: result.delivered ? null : result.error.slice(0, 200),
      ...(result.delivered ? { delivered_at: new Date(now).toISOString() } : {}),
      ...(nextAttemptAt && !result.delivered ? { next_attempt_at: nextAttemptAt } : {}),
    })
    .where('message_id', '=', delivery.message_id)
    .where('endpoint_id', '=', delivery.endpoint_id)
    .where('lease_holder', '=', holder)
    .execute();
  return status;
}

/** A delivery stopped before it finished (the process is closing): due again at once, uncounted. */
export async function releaseDelivery(
  db: Db,
  delivery: Pick<ClaimedDelivery, 'message_id' | 'endpoint_id'>,
  holder: string,
): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set((eb) => ({ lease_until: null, lease_holder: null, attempts: eb('attempts', '-', 1) }))
    .where('message_id', '=', delivery.message_id)
    .where('endpoint_id', '=', delivery.endpoint_id)
    .where('lease_holder', '=', holder)
    .execute();
}

export interface DeliveryRow {
  readonly messageId: string;
  readonly endpointId: string;
  readonly eventType: string;
  readonly launchId: string | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastResponseStatus: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** The org's endpoint's newest deliveries. */
export async function listRecentDeliveries(
  db: Db,
  orgId: string,
  endpointId: string,
  limit = 25,
): Promise<DeliveryRow[]> {
  const rows = await db
    .selectFrom('webhook_delivery')
    .select([
      'message_id',
      'endpoint_id',
      'event_type',
      'launch_id',
      'status',
      'attempts',
      'last_response_status',
      'last_error',
      'next_attempt_at',
      'created_at',
      'delivered_at',
    ])
    .where('org_id', '=', orgId)
    .where('endpoint_id', '=', endpointId)
    .orderBy('created_at', 'desc')
    .orderBy('message_id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    messageId: row.message_id,
    endpointId: row.endpoint_id,
    eventType: row.event_type,
    launchId: row.launch_id,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastResponseStatus: row.last_response_status === null ? null : Number(row.last_response_status),
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  }));
}

/**
 * Send a delivery again from its first attempt, with the same `webhook-id` (a receiver that
 * already has it can tell). Taking the lease away makes an attempt in flight record nothing.
 */
export async function redeliver(
  db: Db,
  orgId: string,
  endpointId: string,
  messageId: string,
  now = new Date(),
): Promise<void> {
  const updated = await db
    .updateTable('webhook_delivery')
    .set({
      status: 'pending',
      attempts: 0,
      next_attempt_at: now.toISOString(),
      lease_until: null,
      lease_holder: null,
    })
    .where('org_id', '=', orgId)
    .where('endpoint_id', '=', endpointId)
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) {
    throw new ChartsideError('resource_not_found', { param: 'id', message: 'There is no such delivery.' });
  }
}

/** Delivered and failed rows are kept this long for the console, then deleted. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;

/** Forget finished deliveries past the retention (any process may; the delete is idempotent). */
export async function deleteOldDeliveries(db: Db, now = Date.now()): Promise<number> {
  const result = await db
    .deleteFrom('webhook_delivery')
    .where('status', 'in', ['delivered', 'failed'])
    .where('created_at', '<', new Date(now - DELIVERY_RETENTION_MS).toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deliveries by status, for tests and the metrics of the backlog. */
export async function countDeliveries(db: Db, status: DeliveryStatus): Promise<number> {
  const row = await db
    .selectFrom('webhook_delivery')
    .select(sql<number>`count(*)`.as('n'))
    .where('status', '=', status)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
