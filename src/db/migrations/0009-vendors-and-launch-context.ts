import { type Kysely, sql } from 'kysely';
import type { Engine } from '../engine.ts';

/**
 * Beyond Cerner (issue 15):
 * - `connection.signing_alg`: the JWT client assertion's algorithm, `RS384` or `ES384`; NULL
 *   follows the EHR's `token_endpoint_auth_signing_alg_values_supported` (RS384 when it lists
 *   RS384 or nothing). `connection.assertion_jku`: 1 puts our JWKS URL in the assertion's `jku`
 *   header (SMART asymmetric client authentication; Epic looks keys up by it).
 * - `ehr_launch.vendor`: the source's vendor when the launch started, kept with it like its
 *   environment; launches whose source is gone keep NULL.
 * - `ehr_launch.intent`, `fhir_context` (JSON array, as sent), `extra_context` (JSON object of
 *   the token response's other non-token fields): the rest of the SMART launch context.
 * - `ehr_launch.ehr_error_description`: the EHR's `error_description`, capped, when it sent one.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.alterTable('connection').addColumn('signing_alg', 'text').execute();
  await db.schema
    .alterTable('connection')
    .addColumn('assertion_jku', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  for (const column of ['vendor', 'intent', 'fhir_context', 'extra_context', 'ehr_error_description']) {
    await db.schema.alterTable('ehr_launch').addColumn(column, 'text').execute();
  }
  await sql`update ehr_launch set vendor =
      (select vendor from fhir_source where fhir_source.id = ehr_launch.fhir_source_id)`.execute(db);
}
