/**
 * What every hook call reads besides its own JWT and answer: the org's connection (its CDS
 * endpoint) and the trusted issuer the JWT names. Both are remembered for `lookupCacheMs`, like
 * the launch's settings and API keys (cache/lookup-cache.ts): a cache hit then costs the jti
 * write and the cached answer's read only, two round trips instead of four on PostgreSQL. A
 * change made in the console or by the CLI reaches every process within that time; removing a
 * trusted issuer included.
 */
import { LookupCache } from '../cache/lookup-cache.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type CdsConnection, findCdsConnection } from '../settings/cds-connections.ts';
import { findTrustedCdsIssuer, type TrustedCdsIssuer } from './issuers.ts';

export interface CdsLookups {
  /** The org's connection with a CDS endpoint (404 `cds_not_configured` without one). */
  connection(orgId: string): Promise<CdsConnection>;
  /** The org's trusted CDS client with this `iss`, if any. */
  trustedIssuer(orgId: string, issuer: string): Promise<TrustedCdsIssuer | undefined>;
}

/** Organizations and issuers remembered at most (the oldest goes first). */
const MAX_ENTRIES = 1000;

export function createCdsLookups(db: Db, ttlMs: number, clock: () => number = Date.now): CdsLookups {
  const connections = new LookupCache<CdsConnection>(ttlMs, MAX_ENTRIES, clock);
  const issuers = new LookupCache<TrustedCdsIssuer>(ttlMs, MAX_ENTRIES, clock);
  return {
    connection(orgId) {
      return connections.getOrLoad(orgId, async () => {
        const connection = await findCdsConnection(db, orgId);
        if (!connection) throw new ChartsideError('cds_not_configured');
        return connection;
      });
    },
    async trustedIssuer(orgId, issuer) {
      // A newline cannot be part of an org id: the key is unambiguous.
      const key = `${orgId}\n${issuer}`;
      const remembered = issuers.get(key);
      if (remembered) return remembered;
      const trusted = await findTrustedCdsIssuer(db, orgId, issuer);
      if (trusted) issuers.set(key, trusted);
      return trusted;
    },
  };
}
