import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** One schema for both engines; see db/schema.ts for the portable type rules. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('organization')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('fhir_source')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('fhir_base_url', 'text', (c) => c.notNull().unique())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('discovery', 'text')
    .addColumn('discovered_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connection')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('vendor', 'text', (c) => c.notNull())
    .addColumn('app_launch_url', 'text')
    .addColumn('cds_endpoint', 'text')
    .addColumn('cds_caching', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('use_custom_credentials', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('client_id', 'text')
    .addColumn('client_secret', 'text')
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('connection_org_vendor_unique', ['org_id', 'vendor'])
    .execute();

  await db.schema
    .createTable('ehr_launch')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('fhir_source_id', 'text', (c) => c.references('fhir_source.id').onDelete('set null'))
    .addColumn('iss', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('access_token', 'text')
    .addColumn('refresh_token', 'text')
    .addColumn('token_expires_at', 'text')
    .addColumn('scope', 'text')
    .addColumn('requested_scope', 'text', (c) => c.notNull())
    .addColumn('patient_fhir_id', 'text')
    .addColumn('encounter_fhir_id', 'text')
    .addColumn('fhir_user', 'text')
    .addColumn('id_token_claims', 'text')
    .addColumn('need_patient_banner', 'integer')
    .addColumn('smart_style_url', 'text')
    .addColumn('tenant', 'text')
    .addColumn('error_code', 'text')
    .addColumn('ehr_error', 'text')
    .addColumn('ehr_error_uri', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema
    .createIndex('ehr_launch_org_created')
    .on('ehr_launch')
    .columns(['org_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('launch_state')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('launch_id', 'text', (c) => c.notNull().references('ehr_launch.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('fhir_source_id', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('consumed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('launch_state_expires').on('launch_state').column('expires_at').execute();

  await db.schema
    .createTable('scoped_account')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('fhir_source_id', 'text', (c) => c.notNull().references('fhir_source.id'))
    .addColumn('patient_fhir_id', 'text', (c) => c.notNull())
    .addColumn('first_launch_id', 'text', (c) => c.notNull())
    .addColumn('last_launch_id', 'text', (c) => c.notNull())
    .addColumn('launch_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('scoped_account_patient_unique', ['org_id', 'fhir_source_id', 'patient_fhir_id'])
    .execute();

  await db.schema
    .createTable('api_key')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('signing_key')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // SQLite: INTEGER PRIMARY KEY is the rowid alias; PostgreSQL needs an identity column.
  const isPostgres = engine === 'postgres';
  await db.schema
    .createTable('audit_event')
    .addColumn('id', isPostgres ? 'bigint' : 'integer', (c) =>
      isPostgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('launch_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('audit_event_org_at').on('audit_event').columns(['org_id', 'at']).execute();
}
