import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** CDS Hooks relay: trusted CDS issuers per org, seen JWT ids (replay protection), answer cache. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('cds_trusted_issuer')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organization.id'))
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('jwks_url', 'text', (c) => c.notNull())
    .addColumn('jku_allowlist', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('cds_trusted_issuer_org_issuer', ['org_id', 'issuer'])
    .execute();

  await db.schema
    .createTable('cds_jti')
    .addColumn('jti_hash', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cds_jti_expires_at').on('cds_jti').column('expires_at').execute();

  await db.schema
    .createTable('cds_cache')
    .addColumn('cache_key', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cds_cache_expires_at').on('cds_cache').column('expires_at').execute();
}
