import type { VerifiedApiKey } from './api/api-keys.ts';
import type { LookupCache } from './cache/lookup-cache.ts';
import type { Config } from './config/index.ts';
import type { Sealer } from './crypto/sealing.ts';
import type { Db, EhrLaunchTable, Engine } from './db/index.ts';
import type { OutboundHttp } from './http/outbound.ts';
import type { KeyRing } from './keys/signing-keys.ts';
import type { GatewayMetrics } from './metrics/metrics.ts';
import type { JwksCache } from './smart/jwks-cache.ts';

/** What handlers get: built once in buildApp, passed explicitly (no globals, no environment reads). */
export interface Services {
  readonly config: Config;
  readonly db: Db;
  readonly engine: Engine;
  readonly sealer: Sealer;
  readonly http: OutboundHttp;
  readonly keyRing: KeyRing;
  readonly jwks: JwksCache;
  /** API keys verified in the last `config.lookupCacheMs`, by prefix. */
  readonly apiKeyCache: LookupCache<VerifiedApiKey>;
  /**
   * Ready launches the FHIR proxy read in the last `config.lookupCacheMs`, by id, with their
   * source's environment. Whatever ends a launch in this process forgets it here.
   */
  readonly readyLaunches: LookupCache<EhrLaunchTable & { source_environment: string | null }>;
  /** This app's Prometheus metrics (src/metrics/), its own registry. */
  readonly metrics: GatewayMetrics;
}
