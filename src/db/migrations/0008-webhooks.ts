import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/**
 * Webhooks (issue 16): endpoints per organization, and the delivery outbox the launch's writes
 * add to in their own statement (src/webhooks/outbox.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('webhook_endpoint')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  // The launch's statement looks endpoints up by org: an org without any costs one index probe.
  await db.schema.createIndex('webhook_endpoint_org').on('webhook_endpoint').column('org_id').execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('endpoint_id', 'text', (c) =>
      c.notNull().references('webhook_endpoint.id').onDelete('cascade'),
    )
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('launch_id', 'text')
    .addColumn('environment', 'text')
    .addColumn('launch_status', 'text')
    .addColumn('code', 'text')
    .addColumn('reason', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text')
    .addColumn('lease_holder', 'text')
    .addColumn('last_attempt_at', 'text')
    .addColumn('last_response_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_delivery_pk', ['message_id', 'endpoint_id'])
    .execute();
  // The workers' question: which pending rows are due.
  await db.schema
    .createIndex('webhook_delivery_due')
    .on('webhook_delivery')
    .columns(['status', 'next_attempt_at'])
    .execute();
  // The console's: an endpoint's recent deliveries.
  await db.schema
    .createIndex('webhook_delivery_endpoint')
    .on('webhook_delivery')
    .columns(['endpoint_id', 'created_at'])
    .execute();
}
