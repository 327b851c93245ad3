/**
 * App API keys: `cs_test_<prefix>_<secret>` (sandbox) and `cs_live_<prefix>_<secret>`
 * (production), shown once and stored as SHA-256. A key reads only launches of its own
 * environment, so a key pasted into a test setup cannot read real patients' data. The prefix
 * (public, unique) finds the row; the hash is compared in constant time. Keys made before
 * environments existed (`cs_sk_…`) keep working with the environment migration 0007 gave them.
 */
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.ts';
import type { LookupCache } from '../cache/lookup-cache.ts';
import { constantTimeEqual, sha256Hex } from '../crypto/random.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { ENVIRONMENTS, type Environment } from '../settings/fhir-sources.ts';
import { newId } from '../settings/ids.ts';
import { getOrganization } from '../settings/organizations.ts';
import { oneOf } from '../settings/validation.ts';

const KEY_PATTERN = /^cs_(sk|test|live)_([A-Za-z0-9]{12})_([A-Za-z0-9]{40})$/;
/** What a key's first part says about it: `test` keys are sandbox keys, `live` ones production. */
const MARKER: Record<Environment, string> = { sandbox: 'test', production: 'live' };
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Writing last_used_at on every call would serialize API traffic on one row. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface CreatedApiKey {
  id: string;
  orgId: string;
  environment: Environment;
  prefix: string;
  /** The whole key: returned once, never stored. */
  key: string;
}

export interface ApiKeyPrincipal {
  keyId: string;
  orgId: string;
  /** The only environment whose launches this key reads. */
  environment: Environment;
  prefix: string;
}

export async function createApiKey(
  db: Db,
  orgId: string,
  actor: string,
  environmentInput: string | undefined = 'sandbox',
): Promise<CreatedApiKey> {
  const environment = oneOf(environmentInput, ENVIRONMENTS, 'environment');
  await getOrganization(db, orgId);
  const prefix = randomAlphanumeric(12);
  const key = `cs_${MARKER[environment]}_${prefix}_${randomAlphanumeric(40)}`;
  const id = newId('key');
  await db
    .insertInto('api_key')
    .values({
      id,
      org_id: orgId,
      prefix,
      key_hash: sha256Hex(key),
      environment,
      marker: MARKER[environment],
      created_at: new Date().toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
  await recordAudit(db, { action: 'api_key.created', actor, orgId, details: { prefix, environment } });
  return { id, orgId, environment, prefix, key };
}

export interface ApiKeySummary {
  id: string;
  prefix: string;
  environment: Environment;
  /** The public start of the key, e.g. `cs_live_AbC123dEf456`. */
  displayPrefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** An org's keys, newest first: the public prefix and dates only (the hash never leaves here). */
export async function listApiKeys(db: Db, orgId: string): Promise<ApiKeySummary[]> {
  const rows = await db
    .selectFrom('api_key')
    .select(['id', 'prefix', 'environment', 'marker', 'created_at', 'last_used_at', 'revoked_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toSummary);
}

export async function countActiveApiKeys(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('api_key')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findApiKey(db: Db, orgId: string, id: string): Promise<ApiKeySummary | undefined> {
  const row = await db
    .selectFrom('api_key')
    .select(['id', 'prefix', 'environment', 'marker', 'created_at', 'last_used_at', 'revoked_at'])
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && toSummary(row);
}

/**
 * Revoke one of an org's keys; it stops working on the next request. Revoking a revoked key
 * changes nothing. Another org's key is `resource_not_found`, like a key that does not exist.
 */
export async function revokeApiKey(
  db: Db,
  orgId: string,
  id: string,
  actor: string,
  requestId?: string,
): Promise<ApiKeySummary> {
  const key = await findApiKey(db, orgId, id);
  if (!key) throw new ChartsideError('resource_not_found', { message: 'There is no such API key.' });
  if (key.revokedAt) return key;
  const revokedAt = new Date().toISOString();
  const updated = await db
    .updateTable('api_key')
    .set({ revoked_at: revokedAt })
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  // Revoked by a parallel request in the meantime: that one wrote the audit event.
  if (Number(updated.numUpdatedRows) !== 1) return (await findApiKey(db, orgId, id)) ?? key;
  await recordAudit(db, {
    action: 'api_key.revoked',
    actor,
    orgId,
    requestId: requestId ?? null,
    details: { prefix: key.prefix },
  });
  return { ...key, revokedAt };
}

function toSummary(row: {
  id: string;
  prefix: string;
  environment: string;
  marker: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): ApiKeySummary {
  return {
    id: row.id,
    prefix: row.prefix,
    environment: row.environment as Environment,
    displayPrefix: `cs_${row.marker}_${row.prefix}`,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** A verified key, remembered by prefix for `lookupCacheMs` (lookup-cache.ts). */
export interface VerifiedApiKey {
  readonly keyHash: string;
  readonly principal: ApiKeyPrincipal;
}

/**
 * Resolve `Authorization: Bearer <key>`; throws missing_api_key / invalid_api_key. With a cache,
 * a key verified in the last `lookupCacheMs` is checked against the remembered hash (still in
 * constant time) instead of its row.
 */
export async function authenticateApiKey(
  db: Db,
  authorization: string | undefined,
  options: { cache?: LookupCache<VerifiedApiKey>; now?: Date } = {},
): Promise<ApiKeyPrincipal> {
  if (!authorization) throw new ChartsideError('missing_api_key');
  const match = /^Bearer[ ]+(\S+)$/i.exec(authorization.trim());
  const key = match?.[1];
  const parts = key ? KEY_PATTERN.exec(key) : null;
  if (!key || !parts) throw new ChartsideError('invalid_api_key');
  const prefix = parts[2] as string;
  const presented = sha256Hex(key);
  const remembered = options.cache?.get(prefix);
  if (remembered && constantTimeEqual(presented, remembered.keyHash)) return remembered.principal;

  const now = options.now ?? new Date();
  const row = await db
    .selectFrom('api_key')
    .select(['id', 'org_id', 'key_hash', 'environment', 'revoked_at', 'last_used_at'])
    .where('prefix', '=', prefix)
    .executeTakeFirst();
  // Compare against a dummy hash when no row matched, so both paths cost the same.
  const valid =
    constantTimeEqual(presented, row?.key_hash ?? sha256Hex('')) && row !== undefined && !row.revoked_at;
  if (!valid || !row) throw new ChartsideError('invalid_api_key');
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > LAST_USED_RESOLUTION_MS) {
    await db
      .updateTable('api_key')
      .set({ last_used_at: now.toISOString() })
      .where('id', '=', row.id)
      .execute();
  }
  const principal = { keyId: row.id, orgId: row.org_id, environment: row.environment as Environment, prefix };
  options.cache?.set(prefix, { keyHash: row.key_hash, principal });
  return principal;
}

function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Reject bytes ≥ 248 so every character is equally likely (248 = 4 × 62).
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}
