/**
 * Which EHR tenants an organization may launch against: the guide's "Going to Production" step 3,
 * "the customer's org points at that tenant". A production source (one hospital's tenant, real
 * PHI) belongs to one organization at most; a sandbox source (a shared public test tenant, such
 * as Cerner's code sandbox) may be linked to many.
 */
import { recordAudit } from '../audit/audit-log.ts';
import { type Db, isUniqueViolation } from '../db/index.ts';
import { isPostgres } from '../db/statements.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type FhirSource, findFhirSource } from './fhir-sources.ts';
import { getOrganization } from './organizations.ts';

export interface LinkChange {
  readonly orgId: string;
  readonly sourceId: string;
  /** Who asked: `cli`, `operator:<email>`, `dev-seed`. */
  readonly actor: string;
  readonly requestId?: string | null;
}

export interface LinkResult {
  readonly org: string;
  readonly source: string;
  readonly linked: boolean;
}

/**
 * Link an organization to a source. Linking twice changes nothing. A production source linked to
 * another organization is refused with `source_already_linked` (409); the check and the insert
 * run in one transaction that locks the source row on PostgreSQL, so two operators linking one
 * production tenant to two organizations at once cannot both succeed.
 */
export async function linkOrgToSource(db: Db, change: LinkChange): Promise<LinkResult> {
  await getOrganization(db, change.orgId);
  const created = await db.transaction().execute(async (trx) => {
    const source = await trx
      .selectFrom('fhir_source')
      .selectAll()
      .where('id', '=', change.sourceId)
      .$if(isPostgres(trx), (query) => query.forUpdate())
      .executeTakeFirst();
    if (!source) throw noSuchSource(change.sourceId);
    const owners = await linkedOrgIds(trx, source.id);
    if (owners.includes(change.orgId)) return false;
    if (source.environment === 'production' && owners.length > 0) throw alreadyLinked(source, owners);
    try {
      await trx
        .insertInto('org_fhir_source')
        .values({
          org_id: change.orgId,
          fhir_source_id: source.id,
          created_at: new Date().toISOString(),
          created_by: change.actor,
        })
        .execute();
    } catch (error) {
      // The same link written by a parallel request: linked either way.
      if (isUniqueViolation(error)) return false;
      throw error;
    }
    return true;
  });
  if (created) {
    await recordAudit(db, {
      action: 'org.source_linked',
      actor: change.actor,
      orgId: change.orgId,
      requestId: change.requestId ?? null,
      details: { fhir_source: change.sourceId },
    });
  }
  return { org: change.orgId, source: change.sourceId, linked: true };
}

/** Unlink; unlinking what is not linked changes nothing. Launches already made are kept. */
export async function unlinkOrgFromSource(db: Db, change: LinkChange): Promise<LinkResult> {
  await getOrganization(db, change.orgId);
  if (!(await findFhirSource(db, change.sourceId))) throw noSuchSource(change.sourceId);
  const removed = await db
    .deleteFrom('org_fhir_source')
    .where('org_id', '=', change.orgId)
    .where('fhir_source_id', '=', change.sourceId)
    .executeTakeFirst();
  if (Number(removed.numDeletedRows) > 0) {
    await recordAudit(db, {
      action: 'org.source_unlinked',
      actor: change.actor,
      orgId: change.orgId,
      requestId: change.requestId ?? null,
      details: { fhir_source: change.sourceId },
    });
  }
  return { org: change.orgId, source: change.sourceId, linked: false };
}

export async function isLinked(db: Db, orgId: string, sourceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('org_fhir_source')
    .select('org_id')
    .where('org_id', '=', orgId)
    .where('fhir_source_id', '=', sourceId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The sources an organization may launch against, by name. */
export async function listLinkedSources(db: Db, orgId: string): Promise<FhirSource[]> {
  return db
    .selectFrom('fhir_source')
    .innerJoin('org_fhir_source as link', 'link.fhir_source_id', 'fhir_source.id')
    .selectAll('fhir_source')
    .where('link.org_id', '=', orgId)
    .orderBy('fhir_source.name')
    .orderBy('fhir_source.id')
    .execute();
}

/** The environments of an org's linked sources of one vendor (the console's readiness check). */
export async function linkedEnvironments(db: Db, orgId: string, vendor: string): Promise<string[]> {
  const rows = await db
    .selectFrom('fhir_source')
    .innerJoin('org_fhir_source as link', 'link.fhir_source_id', 'fhir_source.id')
    .select('fhir_source.environment')
    .distinct()
    .where('link.org_id', '=', orgId)
    .where('fhir_source.vendor', '=', vendor)
    .execute();
  return rows.map((row) => row.environment);
}

export async function linkedOrgIds(db: Db, sourceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('org_fhir_source')
    .select('org_id')
    .where('fhir_source_id', '=', sourceId)
    .orderBy('org_id')
    .execute();
  return rows.map((row) => row.org_id);
}

/** Every link, for the platform admin's overview: source id → linked org ids. */
export async function allLinks(db: Db): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('org_fhir_source')
    .select(['org_id', 'fhir_source_id'])
    .orderBy('org_id')
    .execute();
  const links = new Map<string, string[]>();
  for (const row of rows)
    links.set(row.fhir_source_id, [...(links.get(row.fhir_source_id) ?? []), row.org_id]);
  return links;
}

export function alreadyLinked(source: FhirSource, owners: readonly string[]): ChartsideError {
  return new ChartsideError('source_already_linked', {
    param: 'source',
    message: `The production FHIR source ${source.id} is already linked to ${owners.join(', ')}: a production tenant belongs to one organization. Unlink it first.`,
  });
}

function noSuchSource(id: string): ChartsideError {
  return new ChartsideError('resource_not_found', { param: 'source', message: `No FHIR source ${id}.` });
}
