import { type Kysely, sql } from 'kysely';
import type { Engine } from '../engine.ts';

/**
 * Going to production (issue 12):
 * - `org_fhir_source`: which EHR tenants an organization may launch against. Existing orgs are
 *   linked to every source they already launched with, so nothing that works today breaks.
 * - `ehr_launch.environment`: the source's environment when the launch started, kept with the
 *   launch (a source later moved to sandbox does not make its production launches readable by
 *   sandbox keys). Launches whose source is gone count as production: the safe side.
 * - `api_key.environment`: a key reads one environment's launches. Existing `cs_sk_` keys get
 *   `production` when their org has launched against a production source, else `sandbox`, so
 *   every app keeps reading what it reads today.
 * - `connection_credential`: client credentials per environment. Both rows start as copies of
 *   the connection's own credentials, which then leave the connection table. The sealed secret
 *   is copied as it is: its sealing context names the connection, which both rows belong to.
 * - `operator.role`: `platform_admin` (no organization) or `org_operator`. Existing operators
 *   are org operators; `operator.org_id` becomes nullable for platform admins, and a console
 *   session remembers which organization a platform admin is looking at (`acting_org_id`).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('org_fhir_source')
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id').onDelete('cascade'))
    .addColumn('fhir_source_id', 'text', (c) => c.notNull().references('fhir_source.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('org_fhir_source_pk', ['org_id', 'fhir_source_id'])
    .execute();
  await db.schema
    .createIndex('org_fhir_source_source')
    .on('org_fhir_source')
    .column('fhir_source_id')
    .execute();
  await sql`insert into org_fhir_source (org_id, fhir_source_id, created_at, created_by)
    select distinct org_id, fhir_source_id, ${new Date().toISOString()}, 'migration'
    from ehr_launch where fhir_source_id is not null`.execute(db);

  await db.schema
    .alterTable('ehr_launch')
    .addColumn('environment', 'text', (c) => c.notNull().defaultTo('production'))
    .execute();
  await sql`update ehr_launch set environment = coalesce(
      (select environment from fhir_source where fhir_source.id = ehr_launch.fhir_source_id), 'production')`.execute(
    db,
  );

  await db.schema
    .alterTable('api_key')
    .addColumn('environment', 'text', (c) => c.notNull().defaultTo('sandbox'))
    .execute();
  // What the key's text starts with after `cs_`: `sk` for the keys made before, `test` / `live` now.
  await db.schema
    .alterTable('api_key')
    .addColumn('marker', 'text', (c) => c.notNull().defaultTo('sk'))
    .execute();
  await sql`update api_key set environment = 'production' where org_id in (
      select distinct l.org_id from ehr_launch l where l.environment = 'production')`.execute(db);

  await db.schema
    .createTable('connection_credential')
    .addColumn('connection_id', 'text', (c) => c.notNull().references('connection.id').onDelete('cascade'))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('use_custom_credentials', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('client_id', 'text')
    .addColumn('client_secret', 'text')
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('connection_credential_pk', ['connection_id', 'environment'])
    .execute();
  for (const environment of ['sandbox', 'production']) {
    await sql`insert into connection_credential
        (connection_id, environment, use_custom_credentials, client_id, client_secret, auth_method, updated_at)
      select id, ${environment}, use_custom_credentials, client_id, client_secret, auth_method, updated_at
      from connection`.execute(db);
  }
  for (const column of ['use_custom_credentials', 'client_id', 'client_secret', 'auth_method']) {
    await db.schema.alterTable('connection').dropColumn(column).execute();
  }

  await db.schema
    .alterTable('operator')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('org_operator'))
    .execute();
  if (engine === 'postgres') {
    await sql`alter table operator alter column org_id drop not null`.execute(db);
  } else {
    await nullableOperatorOrgOnSqlite(db);
  }
  await db.schema.alterTable('console_session').addColumn('acting_org_id', 'text').execute();
}

/**
 * SQLite cannot drop a NOT NULL, so the operator table is rebuilt. Its sessions are kept aside
 * first: dropping a table with foreign keys on deletes its rows, and the cascade would sign
 * every operator out.
 */
// biome-ignore lint/suspicious/noExplicitAny: as above
async function nullableOperatorOrgOnSqlite(db: Kysely<any>): Promise<void> {
  await sql`create table console_session_kept as select * from console_session`.execute(db);
  await sql`drop table console_session`.execute(db);
  await sql`create table operator_rebuilt (
      id text primary key,
      org_id text references organization(id),
      email text not null unique,
      password_hash text not null,
      created_at text not null,
      updated_at text not null,
      last_sign_in_at text,
      role text not null default 'org_operator')`.execute(db);
  await sql`insert into operator_rebuilt (id, org_id, email, password_hash, created_at, updated_at, last_sign_in_at, role)
    select id, org_id, email, password_hash, created_at, updated_at, last_sign_in_at, role from operator`.execute(
    db,
  );
  await sql`drop table operator`.execute(db);
  await sql`alter table operator_rebuilt rename to operator`.execute(db);
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
  await sql`insert into console_session select id_hash, operator_id, csrf_token, flash, created_at, last_seen_at, expires_at
    from console_session_kept`.execute(db);
  await sql`drop table console_session_kept`.execute(db);
  await db.schema
    .createIndex('console_session_operator')
    .on('console_session')
    .column('operator_id')
    .execute();
  await db.schema.createIndex('console_session_expires').on('console_session').column('expires_at').execute();
}
