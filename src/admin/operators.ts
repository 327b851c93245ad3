/**
 * Operators: the people who sign in to the console.
 * - An **org operator** belongs to one organization and sees only it: its connection, keys,
 *   launches, audit trail, and the FHIR sources linked to it (read-only).
 * - A **platform admin** belongs to none: they add, edit and re-environment FHIR sources and link
 *   organizations to them, and can look at any organization.
 */
import { type Db, isUniqueViolation } from '../db/index.ts';
import type { OperatorTable } from '../db/schema-admin.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { newId } from '../settings/ids.ts';
import { getOrganization } from '../settings/organizations.ts';
import { hashPassword, passwordProblem } from './passwords.ts';
import type { OperatorRole } from './sessions.ts';

export interface Operator {
  readonly id: string;
  /** null for a platform admin. */
  readonly orgId: string | null;
  readonly role: OperatorRole;
  readonly email: string;
}

export interface NewOperator {
  /** The operator's organization; null makes a platform admin. */
  orgId: string | null;
  email: string | undefined;
  password: string;
}

/** Lower-cased and trimmed: `Ann@Clinic.org` and `ann@clinic.org ` are one account. */
export function normalizeEmail(value: string | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

export function emailProblem(email: string): string | null {
  if (!email) return 'Enter an email address.';
  if (email.length > 254 || !/^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/.test(email))
    return 'Enter an email address like name@example.org.';
  return null;
}

export async function createOperator(db: Db, input: NewOperator): Promise<Operator> {
  const email = normalizeEmail(input.email);
  const badEmail = emailProblem(email);
  if (badEmail) throw new ChartsideError('invalid_data', { param: 'email', message: badEmail });
  const badPassword = passwordProblem(input.password);
  if (badPassword) throw new ChartsideError('invalid_data', { param: 'password', message: badPassword });
  if (input.orgId !== null) await getOrganization(db, input.orgId);
  const role: OperatorRole = input.orgId === null ? 'platform_admin' : 'org_operator';
  if (await findOperatorByEmail(db, email)) throw duplicate();
  const now = new Date().toISOString();
  const row: OperatorTable = {
    id: newId('op'),
    org_id: input.orgId,
    role,
    email,
    password_hash: await hashPassword(input.password),
    created_at: now,
    updated_at: now,
    last_sign_in_at: null,
  };
  try {
    await db.insertInto('operator').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
  return { id: row.id, orgId: row.org_id, role, email: row.email };
}

export async function findOperatorByEmail(db: Db, email: string): Promise<OperatorTable | undefined> {
  return db.selectFrom('operator').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
}

/** Make an operator a platform admin (of no organization). */
export async function makePlatformAdmin(db: Db, operatorId: string): Promise<void> {
  await db
    .updateTable('operator')
    .set({ role: 'platform_admin', org_id: null, updated_at: new Date().toISOString() })
    .where('id', '=', operatorId)
    .execute();
}

/** Replace an operator's password and end their sessions (a password change signs out everywhere). */
export async function setOperatorPassword(db: Db, operatorId: string, password: string): Promise<void> {
  const badPassword = passwordProblem(password);
  if (badPassword) throw new ChartsideError('invalid_data', { param: 'password', message: badPassword });
  const passwordHash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('operator')
      .set({ password_hash: passwordHash, updated_at: new Date().toISOString() })
      .where('id', '=', operatorId)
      .execute();
    await trx.deleteFrom('console_session').where('operator_id', '=', operatorId).execute();
  });
}

function duplicate(): ChartsideError {
  return new ChartsideError('resource_conflict', {
    param: 'email',
    message: 'An operator with this email already exists.',
  });
}
