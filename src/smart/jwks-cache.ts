/**
 * Remote JWKS (an EHR's id_token keys, a CDS client's keys) fetched through the outbound wrapper
 * under the caller's URL policy (SSRF guard) and cached per URL and policy, as public KeyObjects
 * ready for crypto/jwt-verify.ts.
 * An unknown `kid` triggers one refetch (keys rotate; Cerner's rotate every few days), but not
 * more than once per cooldown, so a stream of bogus kids cannot make us hammer the EHR.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { LookupCache } from '../cache/lookup-cache.ts';
import type { JwtHeader, KeysFor } from '../crypto/jwt-verify.ts';
import { type OutboundHttp, readJsonBody } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';

/** Key sets remembered at once (EHR issuers and CDS clients): far more than a gateway talks to. */
const MAX_KEY_SETS = 1000;

interface PublishedKey {
  readonly kid: string | undefined;
  readonly alg: string | undefined;
  readonly key: KeyObject;
}

interface CachedSet {
  readonly keys: readonly PublishedKey[];
  readonly fetchedAt: number;
}

export interface JwksCache {
  /** The published keys of `jwksUri` that may have signed a token with a given header. */
  keysFor(jwksUri: string, policy: UrlPolicy): KeysFor;
}

export function createJwksCache(
  http: OutboundHttp,
  options: { maxAgeMs?: number; cooldownMs?: number } = {},
): JwksCache {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const sets = new LookupCache<CachedSet>(maxAgeMs, MAX_KEY_SETS);

  async function load(key: string, jwksUri: string, policy: UrlPolicy): Promise<CachedSet> {
    const response = await http.fetch(jwksUri, { headers: { accept: 'application/json' }, policy });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`JWKS answered ${response.status}`);
    }
    const entry = { keys: publishedKeys(await readJsonBody(response)), fetchedAt: Date.now() };
    sets.set(key, entry);
    return entry;
  }

  return {
    keysFor(jwksUri, policy) {
      // A set fetched under a looser policy (a sandbox source's) is not reused under a stricter one.
      const key = `${policyKind(policy)} ${jwksUri}`;
      return async (header) => {
        const entry = sets.get(key) ?? (await load(key, jwksUri, policy));
        const found = candidates(entry.keys, header);
        if (found.length > 0 || Date.now() - entry.fetchedAt < cooldownMs) return found;
        return candidates((await load(key, jwksUri, policy)).keys, header);
      };
    },
  };
}

/** The verification keys of a JWK Set (RFC 7517 §5); members that are not usable are skipped. */
function publishedKeys(document: unknown): PublishedKey[] {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new Error('the JWKS has no keys array');
  return keys.flatMap((jwk: unknown) => {
    if (typeof jwk !== 'object' || jwk === null) return [];
    const { kid, alg, use, key_ops: ops } = jwk as Record<string, unknown>;
    if (use !== undefined && use !== 'sig') return [];
    if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return [];
    try {
      const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      return [
        {
          kid: typeof kid === 'string' ? kid : undefined,
          alg: typeof alg === 'string' ? alg : undefined,
          key,
        },
      ];
    } catch {
      return [];
    }
  });
}

/** Keys with the header's `kid` (any, without one) whose own `alg`, when given, is the header's. */
function candidates(keys: readonly PublishedKey[], header: JwtHeader): KeyObject[] {
  return keys
    .filter(
      (key) => (header.kid === undefined || key.kid === header.kid) && (!key.alg || key.alg === header.alg),
    )
    .map((key) => key.key);
}

function policyKind(policy: UrlPolicy): string {
  if (!policy.publicAddressesOnly) return policy.allowLoopbackHttp ? 'loopback-http' : 'https';
  return `public+${policy.allowedPrivateRanges?.cidrs.join(',') ?? ''}`;
}
