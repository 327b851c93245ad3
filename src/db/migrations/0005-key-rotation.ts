import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/**
 * Signing-key rotation (`chartside keys rotate`): when a key starts signing (published before
 * that, so EHRs that cache our JWKS know it) and when a replaced key leaves the JWKS. Existing
 * keys keep NULL in both: they sign now and have no retirement planned.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.alterTable('signing_key').addColumn('activates_at', 'text').execute();
  await db.schema.alterTable('signing_key').addColumn('retires_at', 'text').execute();
}
