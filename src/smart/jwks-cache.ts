/**
 * Remote JWKS (an EHR's id_token keys) fetched through the outbound wrapper and cached per URL.
 * An unknown `kid` triggers one refetch (keys rotate; Cerner's rotate every few days), but not
 * more than once per cooldown, so a stream of bogus kids cannot make us hammer the EHR.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import { type OutboundHttp, readJsonBody } from '../http/outbound.ts';

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

interface CachedSet {
  resolver: KeyResolver;
  fetchedAt: number;
}

export interface JwksCache {
  /** A jose key-resolver function for `jwksUri`. */
  resolverFor(jwksUri: string): (header: JWSHeaderParameters) => Promise<Awaited<ReturnType<KeyResolver>>>;
}

export function createJwksCache(
  http: OutboundHttp,
  options: { maxAgeMs?: number; cooldownMs?: number } = {},
): JwksCache {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const sets = new Map<string, CachedSet>();

  async function load(jwksUri: string): Promise<CachedSet> {
    const response = await http.fetch(jwksUri, { headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`JWKS answered ${response.status}`);
    }
    const jwks = (await readJsonBody(response)) as JSONWebKeySet;
    const entry = { resolver: createLocalJWKSet(jwks), fetchedAt: Date.now() };
    sets.set(jwksUri, entry);
    return entry;
  }

  return {
    resolverFor(jwksUri) {
      return async (header) => {
        let entry = sets.get(jwksUri);
        if (!entry || Date.now() - entry.fetchedAt > maxAgeMs) entry = await load(jwksUri);
        try {
          return await entry.resolver(header);
        } catch (error) {
          if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - entry.fetchedAt < cooldownMs)
            throw error;
          const refreshed = await load(jwksUri);
          return refreshed.resolver(header);
        }
      };
    },
  };
}
