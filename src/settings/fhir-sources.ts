import { type Db, type FhirSourceTable, isUniqueViolation } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { oneOf, validateAdminUrl } from './validation.ts';

export const VENDORS = ['cerner', 'epic', 'smart'] as const;
export type Vendor = (typeof VENDORS)[number];
export const ENVIRONMENTS = ['sandbox', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export type FhirSource = FhirSourceTable;

export interface NewFhirSource {
  iss: string | undefined;
  vendor: string | undefined;
  environment: string | undefined;
  name?: string | undefined;
}

/**
 * Register an EHR's FHIR base URL (the `iss` it will launch with). Stored byte for byte as given:
 * the authorize request's `aud` must equal the `iss` exactly (cerner-smart.md §10.1).
 * Only sandbox sources may use http, and only on loopback.
 */
export async function addFhirSource(db: Db, input: NewFhirSource): Promise<FhirSource> {
  const vendor = oneOf(input.vendor, VENDORS, 'vendor');
  const environment = oneOf(input.environment, ENVIRONMENTS, 'environment');
  if (!input.iss) throw new ChartsideError('invalid_data', { param: 'iss', message: 'iss is required.' });
  const iss = validateAdminUrl(input.iss, 'iss', environment === 'sandbox');
  if (iss.length > 2048)
    throw new ChartsideError('invalid_data', { param: 'iss', message: 'iss is too long.' });
  const existing = await findFhirSourceByIss(db, iss);
  if (existing) {
    throw new ChartsideError('resource_conflict', {
      param: 'iss',
      message: `A FHIR source with this iss already exists (${existing.id}).`,
    });
  }
  const now = new Date().toISOString();
  const source: FhirSource = {
    id: newId('fhirsrc'),
    vendor,
    name: input.name?.trim() || new URL(iss).host,
    fhir_base_url: iss,
    environment,
    discovery: null,
    discovered_at: null,
    created_at: now,
    updated_at: now,
  };
  try {
    await db.insertInto('fhir_source').values(source).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ChartsideError('resource_conflict', {
        param: 'iss',
        message: 'A FHIR source with this iss already exists.',
      });
    }
    throw error;
  }
  return source;
}

export async function findFhirSourceByIss(db: Db, iss: string): Promise<FhirSource | undefined> {
  return db.selectFrom('fhir_source').selectAll().where('fhir_base_url', '=', iss).executeTakeFirst();
}
