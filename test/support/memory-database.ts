/**
 * A migrated in-memory SQLite database with one organization and one production FHIR source
 * (`fhirsrc_1`): the fixture of unit tests that write launches without any network.
 */
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { createOrganization } from '../../src/settings/organizations.ts';

export const TEST_SOURCE_ID = 'fhirsrc_1';
export const TEST_ISS = 'https://ehr.example/fhir';

export async function openSeededMemoryDatabase(): Promise<{ handle: DatabaseHandle; orgId: string }> {
  const handle = openDatabase('sqlite::memory:');
  await migrateToLatest(handle);
  const orgId = (await createOrganization(handle.db, { name: 'Org' })).id;
  await handle.db
    .insertInto('fhir_source')
    .values({
      id: TEST_SOURCE_ID,
      vendor: 'cerner',
      name: 's',
      fhir_base_url: TEST_ISS,
      environment: 'production',
      discovery: null,
      discovered_at: null,
      created_at: '',
      updated_at: '',
    })
    .execute();
  return { handle, orgId };
}
