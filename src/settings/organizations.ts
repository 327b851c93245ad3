import type { Db, OrganizationTable } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { newId } from './ids.ts';
import { requireText } from './validation.ts';

export type Organization = OrganizationTable;

export async function createOrganization(db: Db, input: { name: string | undefined }): Promise<Organization> {
  const org = {
    id: newId('org'),
    name: requireText(input.name, 'name'),
    created_at: new Date().toISOString(),
  };
  await db.insertInto('organization').values(org).execute();
  return org;
}

export async function findOrganization(db: Db, id: string): Promise<Organization | undefined> {
  return db.selectFrom('organization').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getOrganization(db: Db, id: string): Promise<Organization> {
  const org = await findOrganization(db, id);
  if (!org)
    throw new ChartsideError('resource_not_found', { param: 'org', message: `No organization ${id}.` });
  return org;
}

/** Every organization, by name (platform admins). */
export async function listOrganizations(db: Db): Promise<Organization[]> {
  return db.selectFrom('organization').selectAll().orderBy('name').orderBy('id').execute();
}

/** The first organization by name, if any. */
export async function firstOrganization(db: Db): Promise<Organization | undefined> {
  return db.selectFrom('organization').selectAll().orderBy('name').orderBy('id').limit(1).executeTakeFirst();
}
