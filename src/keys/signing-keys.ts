/**
 * Chartside's own signing keys: the private halves sign JWT client assertions
 * (private_key_jwt) and are sealed at rest; the public halves are served as our JWKS, which the
 * EHR fetches from the JWKS URL registered on its side (the guide's Cerner Central step).
 */

import type { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';

/** RS384 first: it is what Cerner and Epic both accept (SMART asymmetric client auth). */
export const SIGNING_ALGORITHMS = ['RS384', 'ES384'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface PublicJwk extends JWK {
  kid: string;
  alg: SigningAlgorithm;
  use: 'sig';
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly privateKey: webcrypto.CryptoKey;
}

/** What signers need; the live ring (re-read from the database) is in key-ring.ts. */
export interface KeyRing {
  /** Every published public key (what `/api/auth/.well-known/jwks` serves). */
  readonly jwks: { keys: PublicJwk[] };
  /** The key that signs now for an algorithm. */
  signingKey(alg: SigningAlgorithm): SigningKey;
}

export const sealContext = (kid: string) => `signing_key.private_jwk:${kid}`;

/** Generate the first RS384 and ES384 keys if there are none yet. */
export async function ensureSigningKeys(db: Db, sealer: Sealer): Promise<void> {
  const existing = await db.selectFrom('signing_key').select('alg').where('status', '=', 'active').execute();
  for (const alg of SIGNING_ALGORITHMS) {
    if (existing.some((row) => row.alg === alg)) continue;
    const key = await generateSigningKey(alg, sealer);
    await db
      .insertInto('signing_key')
      .values({ ...key, created_at: new Date().toISOString() })
      .execute();
  }
}

export interface Rotation {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** When the new key starts signing. */
  readonly activatesAt: string;
  /** The keys it replaces, and when each leaves the JWKS. */
  readonly replaced: { kid: string; retiresAt: string }[];
}

/**
 * `chartside keys rotate`: add a new key for `alg`, published at once and signing from
 * `now + leadSeconds`; every current key of that algorithm without a planned retirement stays
 * published until `graceSeconds` after the new key takes over. Rows are never deleted.
 */
export async function rotateSigningKey(
  db: Db,
  sealer: Sealer,
  options: { alg: SigningAlgorithm; leadSeconds: number; graceSeconds: number; now?: Date },
): Promise<Rotation> {
  const now = options.now ?? new Date();
  const activatesAt = new Date(now.getTime() + options.leadSeconds * 1000).toISOString();
  const retiresAt = new Date(Date.parse(activatesAt) + options.graceSeconds * 1000).toISOString();
  const key = await generateSigningKey(options.alg, sealer);
  return db.transaction().execute(async (trx) => {
    const replaced = await trx
      .selectFrom('signing_key')
      .select('kid')
      .where('alg', '=', options.alg)
      .where('status', '=', 'active')
      .where('retires_at', 'is', null)
      .execute();
    if (replaced.length > 0) {
      await trx
        .updateTable('signing_key')
        .set({ retires_at: retiresAt })
        .where(
          'kid',
          'in',
          replaced.map((row) => row.kid),
        )
        .execute();
    }
    await trx
      .insertInto('signing_key')
      .values({ ...key, created_at: now.toISOString(), activates_at: activatesAt, retires_at: null })
      .execute();
    return {
      kid: key.kid,
      alg: options.alg,
      activatesAt,
      replaced: replaced.map((row) => ({ kid: row.kid, retiresAt })),
    };
  });
}

async function generateSigningKey(alg: SigningAlgorithm, sealer: Sealer) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    public_jwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
    private_jwk: sealer.seal(JSON.stringify(privateJwk), sealContext(kid)),
    status: 'active',
  };
}

/** Every key, newest first, without its private part: what the console's Signing keys page lists. */
export async function listSigningKeys(db: Db) {
  return db
    .selectFrom('signing_key')
    .select(['kid', 'alg', 'status', 'created_at', 'activates_at', 'retires_at'])
    .orderBy('created_at', 'desc')
    .orderBy('kid')
    .execute();
}
