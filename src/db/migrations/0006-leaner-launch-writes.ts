import type { Kysely } from 'kysely';
import type { Engine } from '../engine.ts';

/**
 * Two indexes that every launch paid for and no query needs: `ehr_launch_org_created` is a
 * prefix of `admin_ehr_launch_org_created_id` (0002), and `audit_event_org_at` serves nothing
 * the `(org_id, id)` index does not (audit lists read by org in id order). Each launch writes
 * one ehr_launch row and two audit rows, so this is three index insertions fewer per launch.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.dropIndex('ehr_launch_org_created').ifExists().execute();
  await db.schema.dropIndex('audit_event_org_at').ifExists().execute();
}
