import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/** Admin console: operator accounts, console sessions, sign-in throttling. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(_db: Kysely<any>, _engine: Engine): Promise<void> {}
