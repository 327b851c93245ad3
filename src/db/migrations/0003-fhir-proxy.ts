import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** FHIR proxy and token refresh: refresh leases, launch lifecycle columns, proxy audit. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('lease')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text')
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('acquired_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('ehr_launch').addColumn('ended_at', 'text').execute();
  await db.schema.alterTable('ehr_launch').addColumn('end_reason', 'text').execute();
  // The sweeper looks launches up by status and age.
  await db.schema
    .createIndex('ehr_launch_status_created')
    .on('ehr_launch')
    .columns(['status', 'created_at'])
    .execute();
  // `chartside audit --launch` and the console read one launch's trail.
  await db.schema.createIndex('audit_event_launch').on('audit_event').columns(['launch_id', 'id']).execute();
}
