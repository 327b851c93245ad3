/**
 * The webhook outbox: a launch change and the deliveries it owes are written together, in the
 * same statement (the PostgreSQL launch writes, as one more data-modifying CTE) or the same
 * transaction (SQLite, the lifecycle, the sweeper), so a crash between the two loses no event.
 *
 * The write is `insert into webhook_delivery (…) select … from webhook_endpoint where org_id = …
 * and <subscribed>`: one row per subscribed endpoint of the launch's organization, and for an
 * organization without endpoints one index probe and no row — no extra round trip on any launch.
 * SQLite's ready write asks first whether the org has endpoints at all, in the statement it
 * already runs ({@link orgHasWebhookEndpoints}), and leaves the insert out when it has none.
 */
import {
  type ExpressionBuilder,
  type ExpressionOrFactory,
  isOperationNodeSource,
  type QueryCreator,
  type RawBuilder,
  sql,
} from 'kysely';
import type { Database, Db } from '../db/index.ts';
import { hotQuery } from '../db/statements.ts';
import { newMessageId, type WebhookEventType } from './events.ts';

/** A plain value, or an SQL expression (a CTE's column) in the launch's own statement. */
type Value<T> = T | RawBuilder<T>;

/** One launch event, as the outbox rows it becomes. */
export interface LaunchEvent {
  readonly type: WebhookEventType;
  /** The `webhook-id` ({@link newMessageId}). */
  readonly messageId: Value<string>;
  readonly launchId: Value<string>;
  readonly orgId: Value<string>;
  readonly environment: Value<string>;
  /** The launch's status after the change. */
  readonly status: Value<string>;
  readonly code?: Value<string | null>;
  readonly reason?: Value<string | null>;
  /** When it happened: the body's `timestamp`, and the first attempt is due then. */
  readonly at: Value<string>;
}

/** `%,<type>,%` with LIKE's own wildcards escaped (`launch.refresh_failed` has an underscore). */
export function subscribedPattern(type: string): string {
  return `%,${type.replace(/[\\%_]/g, (c) => `\\${c}`)},%`;
}

/**
 * The insert as a Kysely query: a CTE of the launch's PostgreSQL statement, or a statement of
 * its own. With `orgId` a CTE's scalar subquery (`(select org_id from failed)`), a launch the
 * CTE did not change (it returns no row) yields NULL, and no delivery.
 */
export function insertLaunchEvent<DB extends Database>(
  creator: QueryCreator<DB>,
  event: LaunchEvent,
  pattern: Value<string>,
) {
  // The launch's statement adds its CTEs to the schema; this insert reads none of them by name.
  const db = creator as unknown as QueryCreator<Database>;
  const row = {
    endpoint_id: sql<string>`${sql.ref('webhook_endpoint.id')}`,
    message_id: event.messageId,
    org_id: event.orgId,
    event_type: event.type,
    launch_id: event.launchId,
    environment: event.environment,
    launch_status: event.status,
    code: event.code ?? null,
    reason: event.reason ?? null,
    occurred_at: event.at,
    status: 'pending',
    attempts: 0,
    next_attempt_at: event.at,
    created_at: event.at,
  };
  const columns = Object.keys(row) as (keyof typeof row & string)[];
  return db
    .insertInto('webhook_delivery')
    .columns(columns)
    .expression((eb) =>
      eb
        .selectFrom('webhook_endpoint')
        .select(
          Object.entries(row).map(([column, value]) =>
            isOperationNodeSource(value)
              ? (value as RawBuilder<unknown>).as(column)
              : eb.val(value).as(column),
          ),
        )
        .where('webhook_endpoint.org_id', '=', event.orgId)
        .where((eb) =>
          eb.or([
            eb('webhook_endpoint.events', '=', '*'),
            sql<boolean>`${sql.ref('webhook_endpoint.events')} like ${pattern} escape '\\'`,
          ]),
        ),
    );
}

type PlainEvent = { [K in keyof LaunchEvent]: Exclude<LaunchEvent[K], RawBuilder<unknown>> };

/** The statement for plain values, compiled once (SQLite runs it in the launch's transaction). */
const ENQUEUE = hotQuery('enqueue_launch_event', (db, v: PlainEvent & { pattern: string }) =>
  insertLaunchEvent(db, v, v.pattern),
);

/**
 * Add the deliveries of `event` inside the caller's transaction (the lifecycle, which the refresh
 * and `DELETE /launch-contexts/:id` end launches through; the sweeper; SQLite's launch writes).
 */
export async function enqueueLaunchEvent(
  db: Db,
  event: Omit<PlainEvent, 'messageId'> & { messageId?: string },
): Promise<void> {
  await ENQUEUE(db, {
    ...event,
    messageId: event.messageId ?? newMessageId(),
    code: event.code ?? null,
    reason: event.reason ?? null,
    pattern: subscribedPattern(event.type),
  });
}

/**
 * `exists (select 1 from webhook_endpoint where org_id = <orgId>)`: for SQLite's launch writes,
 * asked in the RETURNING of the statement that changes the launch, so an organization without
 * endpoints (most) skips the outbox statement — an INSERT … SELECT that finds no endpoint still
 * costs a statement (about 20 µs of a launch's CPU, `npm run bench:launch`). Same answer as the
 * insert would find: the launch's transaction already holds SQLite's write lock when it asks, so
 * an endpoint added by another process commits after the launch's change, not before it.
 */
export function orgHasWebhookEndpoints<DB extends Database, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  orgId: ExpressionOrFactory<DB, TB, string>,
) {
  const endpoints = eb as unknown as ExpressionBuilder<Database, 'webhook_endpoint'>;
  return eb.exists(
    endpoints
      .selectFrom('webhook_endpoint')
      .select(sql.lit(1).as('one'))
      .where('webhook_endpoint.org_id', '=', orgId as never),
  );
}

/** For a CTE of the launch's own statement: `(select <column> from <cte>)`. */
export function fromChanged<T>(cte: string, column: string): RawBuilder<T> {
  return sql<T>`(select ${sql.ref(column)} from ${sql.table(cte)})`;
}
