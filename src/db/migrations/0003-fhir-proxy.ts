import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** FHIR proxy and token refresh: refresh leases, launch lifecycle columns, proxy audit. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(_db: Kysely<any>, _engine: Engine): Promise<void> {}
