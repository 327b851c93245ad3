/**
 * Console sessions. The cookie holds a random 256-bit id; the database holds only its SHA-256,
 * the operator, the CSRF synchronizer token, expiry and a sealed one-time flash. State lives in
 * the database so any gateway process can serve any request.
 */

import { randomToken, sha256Hex } from '../crypto/random.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import { findOrganization, firstOrganization } from '../settings/organizations.ts';

export const SESSION_COOKIE = 'chartside_session';
/** Signed out after this long without a request. */
export const IDLE_TIMEOUT_MS = 2 * 60 * 60 * 1000;
/** Signed out after this long whatever the activity. */
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** last_seen_at is written at most this often, not on every request. */
const TOUCH_RESOLUTION_MS = 60 * 1000;

export type OperatorRole = 'platform_admin' | 'org_operator';

export interface ConsoleSession {
  readonly idHash: string;
  readonly operatorId: string;
  readonly email: string;
  readonly role: OperatorRole;
  /**
   * The organization the pages show: an org operator's own, always; for a platform admin the one
   * chosen on the Organizations page (the first by name until then; '' when there is none).
   */
  readonly orgId: string;
  readonly orgName: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
  /** Sealed flash as stored; open it with {@link takeFlash}. */
  readonly flash: string | null;
}

/** A message for the next page. `apiKey` is the one place a new key's value is ever shown. */
export interface Flash {
  notice?: string;
  /** `ok` (default) or `bad`. */
  tone?: 'ok' | 'bad';
  apiKey?: { prefix: string; key: string };
  /** A new webhook endpoint's signing secret: shown on the next page only. */
  webhookSecret?: { endpointId: string; secret: string };
  /** The result of a discovery check, shown in the source's discovery panel. */
  discovery?: { ok: boolean; reason?: string };
}

export async function createSession(
  db: Db,
  operatorId: string,
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(now.getTime() + ABSOLUTE_TIMEOUT_MS);
  await db
    .insertInto('console_session')
    .values({
      id_hash: sha256Hex(token),
      operator_id: operatorId,
      csrf_token: randomToken(32),
      flash: null,
      acting_org_id: null,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
    })
    .execute();
  return { token, expiresAt };
}

/** The live session for a cookie value, or null (unknown, idle too long, or past its end). */
export async function loadSession(
  db: Db,
  token: string | undefined,
  now = new Date(),
): Promise<ConsoleSession | null> {
  if (!token || token.length > 100) return null;
  const idHash = sha256Hex(token);
  const row = await db
    .selectFrom('console_session as s')
    .innerJoin('operator as o', 'o.id', 's.operator_id')
    .select([
      's.id_hash',
      's.operator_id',
      's.csrf_token',
      's.flash',
      's.last_seen_at',
      's.expires_at',
      's.acting_org_id',
      'o.email',
      'o.org_id',
      'o.role',
    ])
    .where('s.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return null;
  const idleSince = now.getTime() - Date.parse(row.last_seen_at);
  if (now.getTime() >= Date.parse(row.expires_at) || idleSince >= IDLE_TIMEOUT_MS) {
    await db.deleteFrom('console_session').where('id_hash', '=', idHash).execute();
    return null;
  }
  if (idleSince >= TOUCH_RESOLUTION_MS) {
    await db
      .updateTable('console_session')
      .set({ last_seen_at: now.toISOString() })
      .where('id_hash', '=', idHash)
      .execute();
  }
  const role: OperatorRole = row.role === 'platform_admin' ? 'platform_admin' : 'org_operator';
  const org = await viewedOrganization(db, role, role === 'platform_admin' ? row.acting_org_id : row.org_id);
  // An org operator whose organization is gone has nothing to see.
  if (!org && role === 'org_operator') return null;
  return {
    idHash,
    operatorId: row.operator_id,
    email: row.email,
    role,
    orgId: org?.id ?? '',
    orgName: org?.name ?? '',
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at,
    flash: row.flash,
  };
}

async function viewedOrganization(
  db: Db,
  role: OperatorRole,
  orgId: string | null,
): Promise<{ id: string; name: string } | undefined> {
  const org = orgId ? await findOrganization(db, orgId) : undefined;
  if (org || role === 'org_operator') return org;
  // A platform admin who has not chosen one (or whose choice was deleted): the first by name.
  return firstOrganization(db);
}

/** A platform admin chooses the organization the console shows (Organizations page). */
export async function setViewedOrganization(db: Db, session: ConsoleSession, orgId: string): Promise<void> {
  if (session.role !== 'platform_admin') throw new Error('only platform admins switch organizations');
  await db
    .updateTable('console_session')
    .set({ acting_org_id: orgId })
    .where('id_hash', '=', session.idHash)
    .execute();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('console_session').where('id_hash', '=', idHash).execute();
}

/** Drop sessions that can no longer be used (called on sign-in, so the table stays small). */
export async function purgeExpiredSessions(db: Db, now = new Date()): Promise<void> {
  await db
    .deleteFrom('console_session')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<=', now.toISOString()),
        eb('last_seen_at', '<=', new Date(now.getTime() - IDLE_TIMEOUT_MS).toISOString()),
      ]),
    )
    .execute();
}

const flashContext = (idHash: string) => `console_session.flash:${idHash}`;

export async function setFlash(db: Db, sealer: Sealer, session: ConsoleSession, flash: Flash): Promise<void> {
  await db
    .updateTable('console_session')
    .set({ flash: sealer.seal(JSON.stringify(flash), flashContext(session.idHash)) })
    .where('id_hash', '=', session.idHash)
    .execute();
}

/** Read the flash once: it is cleared as it is read, so a reload does not show a key again. */
export async function takeFlash(db: Db, sealer: Sealer, session: ConsoleSession): Promise<Flash | null> {
  if (!session.flash) return null;
  const cleared = await db
    .updateTable('console_session')
    .set({ flash: null })
    .where('id_hash', '=', session.idHash)
    .where('flash', '=', session.flash)
    .executeTakeFirst();
  // Another request took it first.
  if (Number(cleared.numUpdatedRows) !== 1) return null;
  try {
    return JSON.parse(sealer.open(session.flash, flashContext(session.idHash))) as Flash;
  } catch {
    return null;
  }
}
