/**
 * Remote JWKS (an EHR's id_token keys, a CDS client's keys) fetched through the outbound wrapper
 * under the caller's URL policy (SSRF guard) and cached per URL and policy.
 * An unknown `kid` triggers one refetch (keys rotate; Cerner's rotate every few days), but not
 * more than once per cooldown, so a stream of bogus kids cannot make us hammer the EHR.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import { LookupCache } from '../cache/lookup-cache.ts';
import { type OutboundHttp, readJsonBody } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/** Key sets remembered at once (EHR issuers and CDS clients): far more than a gateway talks to. */
const MAX_KEY_SETS = 1000;

interface CachedSet {
  resolver: KeyResolver;
  fetchedAt: number;
}

export interface JwksCache {
  /** A jose key-resolver function for `jwksUri`, fetched under `policy`. */
  resolverFor(
    jwksUri: string,
    policy: UrlPolicy,
  ): (header: JWSHeaderParameters) => Promise<Awaited<ReturnType<KeyResolver>>>;
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
    const jwks = (await readJsonBody(response)) as JSONWebKeySet;
    const entry = { resolver: createLocalJWKSet(jwks), fetchedAt: Date.now() };
    sets.set(key, entry);
    return entry;
  }

  return {
    resolverFor(jwksUri, policy) {
      // A set fetched under a looser policy (a sandbox source's) is not reused under a stricter one.
      const key = `${policyKind(policy)} ${jwksUri}`;
      return async (header) => {
        const entry = sets.get(key) ?? (await load(key, jwksUri, policy));
        try {
          return await entry.resolver(header);
        } catch (error) {
          if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - entry.fetchedAt < cooldownMs)
            throw error;
          const refreshed = await load(key, jwksUri, policy);
          return refreshed.resolver(header);
        }
      };
    },
  };
}

function policyKind(policy: UrlPolicy): string {
  if (!policy.publicAddressesOnly) return policy.allowLoopbackHttp ? 'loopback-http' : 'https';
  return `public+${policy.allowedPrivateRanges?.cidrs.join(',') ?? ''}`;
}
