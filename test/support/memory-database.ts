/**
 * A migrated in-memory SQLite database with one organization and one production FHIR source
 * (`fhirsrc_1`): the fixture of unit tests that write launches without any network.
 */
import { type DatabaseHandle, type Db, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { createOrganization } from '../../src/settings/organizations.ts';

export const TEST_SOURCE_ID = 'fhirsrc_1';
export const TEST_ISS = 'https://ehr.example/fhir';

export async function openSeededMemoryDatabase(): Promise<{ handle: DatabaseHandle; orgId: string }> {
  const handle = openDatabase('sqlite::memory:');
  await migrateToLatest(handle);
  const orgId = (await createOrganization(handle.db, { name: 'Org' })).id;
  await insertFhirSource(handle.db, TEST_SOURCE_ID, TEST_ISS);
  return { handle, orgId };
}

/** A production Cerner FHIR source row as it is after registration (no discovery yet). */
export async function insertFhirSource(db: Db, id: string, iss: string): Promise<void> {
  await db
    .insertInto('fhir_source')
    .values({
      id,
      vendor: 'cerner',
      name: 's',
      fhir_base_url: iss,
      environment: 'production',
      discovery: null,
      discovered_at: null,
      created_at: '',
      updated_at: '',
    })
    .execute();
}
