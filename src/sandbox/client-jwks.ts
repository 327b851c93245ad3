/**
 * The JWKS a client registered on its Cerner Central system account (the guide's "JSON Web Key
 * Set URL"), as the token endpoint uses it for client assertions (S5): fetched on first use,
 * kept briefly, and fetched again when an assertion names a kid the kept set does not have.
 */
import type { JWK } from 'jose';
import { fetchJwks } from './jwks-fetch.ts';

/** A kept key set is used this long; after that the next assertion fetches the URL again. */
export const JWKS_CACHE_TTL_MS = 60_000;
/** Do not re-fetch the same URL more often than this when kids are unknown. */
const REFETCH_COOLDOWN_MS = 1000;

interface CachedSet {
  keys: JWK[];
  fetchedAt: number;
}

export class ClientJwksCache {
  private readonly cache = new Map<string, CachedSet>();

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The JWK with this kid, fetching (or re-fetching) the set when needed. Throws with a reason. */
  async findKey(url: string, kid: string): Promise<JWK> {
    const cached = this.cache.get(url);
    const age = cached ? this.now() - cached.fetchedAt : Number.POSITIVE_INFINITY;
    const hit = age < JWKS_CACHE_TTL_MS ? cached?.keys.find((key) => key.kid === kid) : undefined;
    if (hit) return hit;
    if (age < REFETCH_COOLDOWN_MS) throw new Error(`kid "${kid}" is not in the JWKS at ${url}`);
    const fetched = await fetchJwks(url, this.timeoutMs);
    if (!fetched.ok) {
      this.cache.delete(url);
      throw new Error(fetched.message);
    }
    this.cache.set(url, { keys: fetched.keys, fetchedAt: this.now() });
    const key = fetched.keys.find((candidate) => candidate.kid === kid);
    if (!key) throw new Error(`kid "${kid}" is not in the JWKS at ${url}`);
    return key;
  }
}
