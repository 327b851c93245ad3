/**
 * The key ring each process signs with, read from the `signing_key` table and re-read every
 * few seconds so a rotation done by `chartside keys rotate` (or another process) is picked up
 * without a restart. Which key signs and which are published is decided from the rows'
 * times on every call, so a planned switch happens on time between two reads.
 *
 * A key's life: `next` (published, not signing yet: EHRs cache our JWKS and must know the kid
 * before they see it) → `active` (signs) → `retiring` (replaced, still published so anything it
 * signed can still be verified) → `retired` (gone from the JWKS; the row is kept as history).
 */
import type { webcrypto } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db, SigningKeyTable } from '../db/index.ts';
import {
  type KeyRing,
  type PublicJwk,
  type SigningAlgorithm,
  type SigningKey,
  sealContext,
} from './signing-keys.ts';

export type KeyState = 'next' | 'active' | 'retiring' | 'retired';

type KeyTimes = Pick<
  SigningKeyTable,
  'kid' | 'alg' | 'status' | 'created_at' | 'activates_at' | 'retires_at'
>;

/**
 * Each key's state at `now`. Per algorithm the signer is the most recently activated key; keys
 * activated at the same moment (two processes generating the first keys at once) sign oldest first.
 */
export function keyStatesAt(rows: readonly KeyTimes[], now: Date): Map<string, KeyState> {
  const at = now.getTime();
  const states = new Map<string, KeyState>();
  const signers = new Map<string, KeyTimes>();
  for (const row of rows) {
    if (row.status !== 'active') continue;
    if (row.retires_at && Date.parse(row.retires_at) <= at) continue;
    if (row.activates_at && Date.parse(row.activates_at) > at) continue;
    const current = signers.get(row.alg);
    if (!current || signsBefore(row, current)) signers.set(row.alg, row);
  }
  for (const row of rows) {
    let state: KeyState;
    if (row.status !== 'active' || (row.retires_at && Date.parse(row.retires_at) <= at)) state = 'retired';
    else if (row.activates_at && Date.parse(row.activates_at) > at) state = 'next';
    else state = signers.get(row.alg)?.kid === row.kid ? 'active' : 'retiring';
    states.set(row.kid, state);
  }
  return states;
}

/** True when `a` takes over signing from `b`. */
function signsBefore(a: KeyTimes, b: KeyTimes): boolean {
  const activation = (row: KeyTimes) => (row.activates_at ? Date.parse(row.activates_at) : 0);
  if (activation(a) !== activation(b)) return activation(a) > activation(b);
  if (a.created_at !== b.created_at) return a.created_at < b.created_at;
  return a.kid < b.kid;
}

export interface LiveKeyRing extends KeyRing {
  /** Re-read the keys from the database now. */
  reload(): Promise<void>;
  /** Re-read every `intervalMs` until the returned function is called. */
  watch(intervalMs: number, onError: (error: unknown) => void): () => void;
}

interface LoadedKey {
  row: SigningKeyTable;
  publicJwk: PublicJwk;
  signer: SigningKey;
}

/** Load the ring. `clock` is the time the ring judges activation and retirement by (tests move it). */
export async function loadKeyRing(
  db: Db,
  sealer: Sealer,
  clock: () => Date = () => new Date(),
): Promise<LiveKeyRing> {
  let loaded: LoadedKey[] = [];
  let published: { kids: string; jwks: { keys: PublicJwk[] } } = { kids: '', jwks: { keys: [] } };

  async function reload(): Promise<void> {
    const rows = await db
      .selectFrom('signing_key')
      .selectAll()
      .where('status', '=', 'active')
      .orderBy('created_at', 'asc')
      .orderBy('kid', 'asc')
      .execute();
    const known = new Map(loaded.map((key) => [key.row.kid, key]));
    const next: LoadedKey[] = [];
    for (const row of rows) {
      if (row.retires_at && Date.parse(row.retires_at) <= clock().getTime()) continue;
      const previous = known.get(row.kid);
      if (previous) {
        next.push({ ...previous, row });
        continue;
      }
      // Only keys not seen before are unsealed: a reload is one small query otherwise.
      const alg = row.alg as SigningAlgorithm;
      const privateJwk = JSON.parse(sealer.open(row.private_jwk, sealContext(row.kid))) as JWK;
      const privateKey = (await importJWK(privateJwk, alg)) as webcrypto.CryptoKey;
      next.push({
        row,
        publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
        signer: { kid: row.kid, alg, privateKey },
      });
    }
    loaded = next;
  }

  function statesNow() {
    return keyStatesAt(
      loaded.map((key) => key.row),
      clock(),
    );
  }

  await reload();
  return {
    /** The same object until the published set changes (callers may cache what they derive from it). */
    get jwks() {
      const states = statesNow();
      const keys = loaded.filter((key) => states.get(key.row.kid) !== 'retired');
      const kids = keys.map((key) => key.row.kid).join(',');
      if (kids !== published.kids) published = { kids, jwks: { keys: keys.map((key) => key.publicJwk) } };
      return published.jwks;
    },
    signingKey(alg) {
      const states = statesNow();
      const key = loaded.find(
        (candidate) => candidate.row.alg === alg && states.get(candidate.row.kid) === 'active',
      );
      if (!key) throw new Error(`no active ${alg} signing key`);
      return key.signer;
    },
    reload,
    watch(intervalMs, onError) {
      const timer = setInterval(() => reload().catch(onError), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
