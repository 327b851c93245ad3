/**
 * A launch as the FHIR proxy needs it on every request: its row, and the environment its FHIR
 * source has now (the address policy of the upstream call follows the source, which a platform
 * admin may have moved since the launch). One query, for a hot path; the source's environment is
 * the only thing read from settings' table.
 */
import type { Db, EhrLaunchTable } from '../db/index.ts';

export type ProxiedLaunch = EhrLaunchTable & { source_environment: string | null };

export async function findProxiedLaunch(db: Db, id: string): Promise<ProxiedLaunch | undefined> {
  return db
    .selectFrom('ehr_launch')
    .leftJoin('fhir_source', 'fhir_source.id', 'ehr_launch.fhir_source_id')
    .selectAll('ehr_launch')
    .select('fhir_source.environment as source_environment')
    .where('ehr_launch.id', '=', id)
    .executeTakeFirst();
}
