/**
 * Fetching the JWKS a client registered on its Cerner Central system account (the guide's "JSON
 * Web Key Set URL"), with a cache that is refreshed when an assertion names an unknown kid (S5).
 * Every fetch has a timeout and does not follow redirects.
 */
import type { JSONWebKeySet, JWK } from 'jose';

const MAX_JWKS_BYTES = 512 * 1024;
/** Do not re-fetch the same URL more often than this when kids are unknown. */
const REFETCH_COOLDOWN_MS = 1000;

interface CachedSet {
  keys: JWK[];
  fetchedAt: number;
}

export class ClientJwksCache {
  private readonly cache = new Map<string, CachedSet>();

  constructor(private readonly timeoutMs: number) {}

  /** The JWK with this kid, fetching (or re-fetching) the set when needed. Throws with a reason. */
  async findKey(url: string, kid: string): Promise<JWK> {
    const cached = this.cache.get(url);
    const hit = cached?.keys.find((key) => key.kid === kid);
    if (hit) return hit;
    if (cached && Date.now() - cached.fetchedAt < REFETCH_COOLDOWN_MS) {
      throw new Error(`kid "${kid}" is not in the JWKS at ${url}`);
    }
    const fresh = await this.fetchSet(url);
    this.cache.set(url, { keys: fresh, fetchedAt: Date.now() });
    const key = fresh.find((candidate) => candidate.kid === kid);
    if (!key) throw new Error(`kid "${kid}" is not in the JWKS at ${url}`);
    return key;
  }

  private async fetchSet(url: string): Promise<JWK[]> {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new Error(`JWKS fetch from ${url} failed: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`JWKS fetch from ${url} answered HTTP ${response.status}`);
    }
    const text = await response.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS at ${url} is too large`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`JWKS at ${url} is not JSON`);
    }
    const keys = (parsed as Partial<JSONWebKeySet> | null)?.keys;
    if (!Array.isArray(keys)) throw new Error(`JWKS at ${url} has no "keys" array`);
    return keys.filter((key): key is JWK => typeof key === 'object' && key !== null);
  }
}
