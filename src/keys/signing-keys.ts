/**
 * Chartside's own signing keys: the private halves sign JWT client assertions
 * (private_key_jwt) and are sealed at rest; the public halves are served as our JWKS, which the
 * EHR fetches from the JWKS URL registered on its side (the guide's Cerner Central step).
 */

import type { webcrypto } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
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

export interface KeyRing {
  /** Every published public key (what `/api/auth/.well-known/jwks` serves). */
  readonly jwks: { keys: PublicJwk[] };
  /** The key that signs now for an algorithm. */
  signingKey(alg: SigningAlgorithm): SigningKey;
}

const sealContext = (kid: string) => `signing_key.private_jwk:${kid}`;

/** Generate the first RS384 and ES384 keys if there are none yet. */
export async function ensureSigningKeys(db: Db, sealer: Sealer): Promise<void> {
  const existing = await db.selectFrom('signing_key').select('alg').where('status', '=', 'active').execute();
  for (const alg of SIGNING_ALGORITHMS) {
    if (existing.some((row) => row.alg === alg)) continue;
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    await db
      .insertInto('signing_key')
      .values({
        kid,
        alg,
        public_jwk: JSON.stringify({ ...publicJwk, kid, alg, use: 'sig' }),
        private_jwk: sealer.seal(JSON.stringify(privateJwk), sealContext(kid)),
        status: 'active',
        created_at: new Date().toISOString(),
      })
      .execute();
  }
}

/**
 * Load the active keys. When two processes generated keys at the same first start, both sets
 * are published and every process signs with the oldest of each algorithm.
 */
export async function loadKeyRing(db: Db, sealer: Sealer): Promise<KeyRing> {
  const rows = await db
    .selectFrom('signing_key')
    .selectAll()
    .where('status', '=', 'active')
    .orderBy('created_at', 'asc')
    .orderBy('kid', 'asc')
    .execute();
  const signers = new Map<SigningAlgorithm, SigningKey>();
  const keys: PublicJwk[] = [];
  for (const row of rows) {
    const alg = row.alg as SigningAlgorithm;
    keys.push(JSON.parse(row.public_jwk) as PublicJwk);
    if (signers.has(alg)) continue;
    const privateJwk = JSON.parse(sealer.open(row.private_jwk, sealContext(row.kid))) as JWK;
    const privateKey = (await importJWK(privateJwk, alg)) as webcrypto.CryptoKey;
    signers.set(alg, { kid: row.kid, alg, privateKey });
  }
  return {
    jwks: { keys },
    signingKey(alg) {
      const key = signers.get(alg);
      if (!key) throw new Error(`no active ${alg} signing key`);
      return key;
    },
  };
}
