import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** Admin console: operator accounts, console sessions, sign-in throttling. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('operator')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'text')
    .execute();
  await db.schema.createIndex('operator_org').on('operator').column('org_id').execute();

  await db.schema
    .createTable('console_session')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('operator_id', 'text', (c) => c.notNull().references('operator.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('flash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('console_session_operator')
    .on('console_session')
    .column('operator_id')
    .execute();
  await db.schema.createIndex('console_session_expires').on('console_session').column('expires_at').execute();

  await db.schema
    .createTable('sign_in_throttle')
    .addColumn('email', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'text', (c) => c.notNull())
    .addColumn('locked_until', 'text')
    .execute();

  // The console's newest-first, keyset-paged lists (admin/launch-list.ts, admin/audit-list.ts)
  // read these in index order instead of sorting an organization's whole history.
  await db.schema
    .createIndex('admin_ehr_launch_org_created_id')
    .on('ehr_launch')
    .columns(['org_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('admin_audit_event_org_id')
    .on('audit_event')
    .columns(['org_id', 'id'])
    .execute();
}
