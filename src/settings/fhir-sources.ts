import { type Db, type FhirSourceTable, isUniqueViolation } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { oneOf, validateAdminUrl } from './validation.ts';

export const VENDORS = ['cerner', 'epic', 'smart'] as const;
export type Vendor = (typeof VENDORS)[number];
/** How each vendor is named to people (console, CLI, go-live check). */
export const VENDOR_LABELS: Record<Vendor, string> = {
  cerner: 'Cerner',
  epic: 'Epic',
  smart: 'SMART (generic)',
};
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
 * the authorize request's `aud` must equal the `iss` exactly (docs/cerner.md §1).
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
    throw duplicateIssAsConflict(error);
  }
  return source;
}

export async function findFhirSourceByIss(db: Db, iss: string): Promise<FhirSource | undefined> {
  return db.selectFrom('fhir_source').selectAll().where('fhir_base_url', '=', iss).executeTakeFirst();
}

export async function findFhirSource(db: Db, id: string): Promise<FhirSource | undefined> {
  return db.selectFrom('fhir_source').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every registered source, by name (platform admins; an org sees its linked ones, org-links.ts). */
export async function listFhirSources(db: Db): Promise<FhirSource[]> {
  return db.selectFrom('fhir_source').selectAll().orderBy('name').orderBy('id').execute();
}

export async function countFhirSources(db: Db): Promise<number> {
  const row = await db
    .selectFrom('fhir_source')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface FhirSourceChanges {
  iss: string | undefined;
  vendor: string | undefined;
  environment: string | undefined;
  name: string | undefined;
}

/**
 * Edit a source with the same rules as {@link addFhirSource}. A new base URL or environment
 * drops the cached discovery, so the next launch (or check) discovers again.
 */
export async function updateFhirSource(db: Db, id: string, input: FhirSourceChanges): Promise<FhirSource> {
  const existing = await findFhirSource(db, id);
  if (!existing) throw new ChartsideError('resource_not_found', { message: `No FHIR source ${id}.` });
  const vendor = oneOf(input.vendor, VENDORS, 'vendor');
  const environment = oneOf(input.environment, ENVIRONMENTS, 'environment');
  if (!input.iss) throw new ChartsideError('invalid_data', { param: 'iss', message: 'iss is required.' });
  const iss = validateAdminUrl(input.iss, 'iss', environment === 'sandbox');
  if (iss.length > 2048)
    throw new ChartsideError('invalid_data', { param: 'iss', message: 'iss is too long.' });
  const name = input.name?.trim() || new URL(iss).host;
  if (name.length > 200)
    throw new ChartsideError('invalid_data', {
      param: 'name',
      message: 'name must be at most 200 characters.',
    });
  const other = await findFhirSourceByIss(db, iss);
  if (other && other.id !== id) {
    throw new ChartsideError('resource_conflict', {
      param: 'iss',
      message: `A FHIR source with this iss already exists (${other.id}).`,
    });
  }
  if (environment === 'production' && existing.environment !== 'production') {
    // A production tenant belongs to one organization (org-links.ts): a shared sandbox tenant
    // linked to several cannot become one until the others are unlinked.
    const owners = await db
      .selectFrom('org_fhir_source')
      .select('org_id')
      .where('fhir_source_id', '=', id)
      .orderBy('org_id')
      .execute();
    if (owners.length > 1) {
      throw new ChartsideError('source_already_linked', {
        param: 'environment',
        message: `This source is linked to ${owners.length} organizations (${owners.map((o) => o.org_id).join(', ')}); a production source belongs to one. Unlink the others first.`,
      });
    }
  }
  const rediscover = iss !== existing.fhir_base_url || environment !== existing.environment;
  const next: FhirSource = {
    ...existing,
    vendor,
    name,
    fhir_base_url: iss,
    environment,
    discovery: rediscover ? null : existing.discovery,
    discovered_at: rediscover ? null : existing.discovered_at,
    updated_at: new Date().toISOString(),
  };
  try {
    await db.updateTable('fhir_source').set(next).where('id', '=', id).execute();
  } catch (error) {
    throw duplicateIssAsConflict(error);
  }
  return next;
}

/** Two writers raced to the same iss: the unique index answers, as a conflict. */
function duplicateIssAsConflict(error: unknown): unknown {
  if (!isUniqueViolation(error)) return error;
  return new ChartsideError('resource_conflict', {
    param: 'iss',
    message: 'A FHIR source with this iss already exists.',
  });
}
