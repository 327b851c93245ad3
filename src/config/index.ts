/**
 * Environment → one validated, frozen {@link Config}. Read once at start-up and passed into
 * `buildApp(config)`; nothing else in the gateway reads `process.env`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './config-error.ts';
import { type HardeningSettings, hardeningSettings } from './hardening-config.ts';
import { type OperationsSettings, operationsSettings } from './operations-config.ts';
import { type SecuritySettings, securitySettings } from './security-config.ts';

export { ConfigError } from './config-error.ts';
export type { RateLimits } from './security-config.ts';

export type RunMode = 'development' | 'production' | 'test';
export type ClientAuthMethod = 'client_secret_basic' | 'private_key_jwt';

/** The platform's own registered client for a vendor, used when an org has no custom credentials. */
export interface PlatformClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly authMethod: ClientAuthMethod;
}

/**
 * Rate limits and signing-key rotation timings: see {@link SecuritySettings}; `/launch-debug` and
 * the private upstreams allow list: see {@link HardeningSettings}; webhook delivery and metrics:
 * see {@link OperationsSettings}.
 */
export interface Config extends SecuritySettings, HardeningSettings, OperationsSettings {
  readonly mode: RunMode;
  /** Listen address. */
  readonly host: string;
  readonly port: number;
  /** Public origin the EHR and browsers reach us at, no trailing slash (redirect URI and JWKS URL derive from it). */
  readonly publicUrl: string;
  /** `sqlite:<file>` | `sqlite::memory:` | `postgres://…`. */
  readonly databaseUrl: string;
  /** Folder for the SQLite file and, in development, the generated master key. */
  readonly dataDir: string;
  /** 32-byte key that seals tokens and secrets at rest (AES-256-GCM). */
  readonly masterKey: Buffer;
  /** Every outbound call (discovery, JWKS, token endpoint) is aborted after this long. */
  readonly outboundTimeoutMs: number;
  /** How long a source's discovered SMART configuration is trusted before it is fetched again. */
  readonly discoveryTtlSeconds: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Trust `X-Forwarded-*` from a reverse proxy. */
  readonly trustProxy: boolean;
  /** PostgreSQL: the launch's statements as named prepared statements (off behind PgBouncer < 1.21). */
  readonly postgresPreparedStatements: boolean;
  /** Platform credentials per vendor (`CHARTSIDE_CERNER_CLIENT_ID` …). */
  readonly platformClients: Readonly<Partial<Record<'cerner' | 'epic' | 'smart', PlatformClient>>>;
  /**
   * Refresh an EHR access token once less than this many seconds of its life are left
   * (`CHARTSIDE_REFRESH_SKEW_SECONDS`, default 60). Cerner asks clients to refresh before expiry,
   * not at the last moment (docs/cerner.md §7); keep it well under the token lifetime (570 s).
   */
  readonly refreshSkewSeconds: number;
  /**
   * How long one refresh call to the EHR's token endpoint may take (`CHARTSIDE_REFRESH_TIMEOUT_MS`,
   * default 10000). Requests that wait for another process's refresh wait at most this long plus
   * a few seconds.
   */
  readonly refreshTimeoutMs: number;
  /**
   * A launch ends (status `expired`, tokens deleted) this many seconds after it started, however
   * long its refresh token would still work (`CHARTSIDE_MAX_SESSION_AGE_SECONDS`, default 43200 =
   * 12 hours). Recommendation: about one clinical shift.
   */
  readonly maxSessionAgeSeconds: number;
  /**
   * How often the launch sweeper runs: ends launches past their age, deletes tokens of ended
   * launches and expired launch states (`CHARTSIDE_SWEEP_INTERVAL_SECONDS`, default 60; 0 = off).
   * With several processes, one of them sweeps per interval.
   */
  readonly sweepIntervalSeconds: number;
  /** FHIR proxy: the largest request body an app may send (`CHARTSIDE_FHIR_MAX_REQUEST_BYTES`, default 1 MiB). */
  readonly fhirMaxRequestBytes: number;
  /**
   * FHIR proxy: the largest EHR response relayed to an app (`CHARTSIDE_FHIR_MAX_RESPONSE_BYTES`,
   * default 16 MiB). A larger declared size answers 502; a larger streamed body is cut off.
   */
  readonly fhirMaxResponseBytes: number;
  /**
   * FHIR proxy: one call to the EHR's FHIR server, body included, is aborted after this long
   * (`CHARTSIDE_FHIR_TIMEOUT_MS`, default 30000; searches can be slow).
   */
  readonly fhirTimeoutMs: number;
  /**
   * How long a process reuses what it has just read for the hot paths
   * (`CHARTSIDE_LOOKUP_CACHE_MS`, default 2000, 0 in test mode; 0 = read on every request): an
   * API key check and a ready launch row on the FHIR proxy (two queries per call), and a launch's
   * org, source, connection, client and SMART configuration on the launch and callback hops. The
   * price: a key revoked, a launch ended or a setting changed by ANOTHER process is seen here only
   * after this long (a key revoked in this process's console stops at once).
   */
  readonly lookupCacheMs: number;
  /**
   * CDS Hooks relay: the whole call to the app's CDS service, body included, must finish within
   * this long (`CHARTSIDE_CDS_TIMEOUT_MS`, default 5000); past it the EHR gets `{"cards": []}`.
   */
  readonly cdsTimeoutMs: number;
  /**
   * CDS Hooks relay: how long an answer is reused for an identical request when the connection's
   * CDS caching is on (`CHARTSIDE_CDS_CACHE_TTL_SECONDS`, default 30).
   */
  readonly cdsCacheTtlSeconds: number;
  /**
   * Graceful shutdown: after SIGTERM, `/readyz` answers 503 at once while the process keeps
   * serving for this long, so the load balancer stops sending it traffic before it stops
   * accepting (`CHARTSIDE_SHUTDOWN_DRAIN_MS`, default 5000 in production, 0 otherwise). Set it
   * above the load balancer's health-check interval times its unhealthy threshold.
   */
  readonly shutdownDrainMs: number;
  /**
   * Graceful shutdown: after the drain, in-flight requests get this long to finish before their
   * connections are closed (`CHARTSIDE_SHUTDOWN_TIMEOUT_MS`, default 10000).
   */
  readonly shutdownTimeoutMs: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const VENDORS = ['cerner', 'epic', 'smart'] as const;

/**
 * Build the Config from an environment. Throws {@link ConfigError} with a one-line reason.
 * In development the master key is generated into the data folder (mode 0600) on first use;
 * in production it must be given.
 */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: { mode?: RunMode } = {}): Config {
  const mode = overrides.mode ?? parseMode(env.CHARTSIDE_ENV ?? env.NODE_ENV);
  const port = parsePort(env.PORT, 3000, 'PORT');
  const host = env.HOST ?? (mode === 'production' ? '0.0.0.0' : '127.0.0.1');
  const publicUrl = parsePublicUrl(env.PUBLIC_URL, mode, port);
  const dataDir = resolve(env.CHARTSIDE_DATA_DIR ?? 'data');
  // The embedded default lives in the data folder: sqlite:data/chartside.db unless moved.
  const databaseUrl = parseDatabaseUrl(
    env.DATABASE_URL || `sqlite:${join(env.CHARTSIDE_DATA_DIR ?? 'data', 'chartside.db')}`,
  );
  const masterKey = loadMasterKey(env.CHARTSIDE_MASTER_KEY, mode, dataDir);
  const logLevel = (env.LOG_LEVEL ?? 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const platformClients: Partial<Record<(typeof VENDORS)[number], PlatformClient>> = {};
  for (const vendor of VENDORS) {
    const prefix = `CHARTSIDE_${vendor.toUpperCase()}_`;
    const clientId = env[`${prefix}CLIENT_ID`];
    if (!clientId) continue;
    const authMethod = parseAuthMethod(
      env[`${prefix}AUTH_METHOD`] ?? 'client_secret_basic',
      `${prefix}AUTH_METHOD`,
    );
    const clientSecret = env[`${prefix}CLIENT_SECRET`] ?? null;
    if (authMethod === 'client_secret_basic' && !clientSecret) {
      throw new ConfigError(
        `${prefix}CLIENT_SECRET is required when ${prefix}AUTH_METHOD is client_secret_basic`,
      );
    }
    platformClients[vendor] = Object.freeze({ clientId, clientSecret, authMethod });
  }

  return Object.freeze({
    mode,
    host,
    port,
    publicUrl,
    databaseUrl,
    dataDir,
    masterKey,
    outboundTimeoutMs: parseInteger(
      env.CHARTSIDE_HTTP_TIMEOUT_MS,
      10_000,
      'CHARTSIDE_HTTP_TIMEOUT_MS',
      100,
      120_000,
    ),
    discoveryTtlSeconds: parseInteger(
      env.CHARTSIDE_DISCOVERY_TTL_SECONDS,
      3600,
      'CHARTSIDE_DISCOVERY_TTL_SECONDS',
      0,
      604_800,
    ),
    logLevel,
    trustProxy: parseBoolean(env.TRUST_PROXY, false, 'TRUST_PROXY'),
    postgresPreparedStatements: parseBoolean(
      env.CHARTSIDE_PG_PREPARED_STATEMENTS,
      true,
      'CHARTSIDE_PG_PREPARED_STATEMENTS',
    ),
    platformClients: Object.freeze(platformClients),
    ...fhirProxySettings(env, mode),
    ...securitySettings(env, mode),
    ...hardeningSettings(env, mode),
    ...operationsSettings(env, mode, port),
    cdsTimeoutMs: parseInteger(env.CHARTSIDE_CDS_TIMEOUT_MS, 5000, 'CHARTSIDE_CDS_TIMEOUT_MS', 50, 60_000),
    cdsCacheTtlSeconds: parseInteger(
      env.CHARTSIDE_CDS_CACHE_TTL_SECONDS,
      30,
      'CHARTSIDE_CDS_CACHE_TTL_SECONDS',
      1,
      3600,
    ),
    shutdownDrainMs: parseInteger(
      env.CHARTSIDE_SHUTDOWN_DRAIN_MS,
      mode === 'production' ? 5000 : 0,
      'CHARTSIDE_SHUTDOWN_DRAIN_MS',
      0,
      300_000,
    ),
    shutdownTimeoutMs: parseInteger(
      env.CHARTSIDE_SHUTDOWN_TIMEOUT_MS,
      10_000,
      'CHARTSIDE_SHUTDOWN_TIMEOUT_MS',
      0,
      300_000,
    ),
  });
}

/** Token refresh, launch lifecycle and FHIR proxy settings (each documented on {@link Config}). */
function fhirProxySettings(env: NodeJS.ProcessEnv, mode: RunMode) {
  const int = (name: string, fallback: number, min: number, max: number) =>
    parseInteger(env[name], fallback, name, min, max);
  return {
    refreshSkewSeconds: int('CHARTSIDE_REFRESH_SKEW_SECONDS', 60, 0, 3600),
    refreshTimeoutMs: int('CHARTSIDE_REFRESH_TIMEOUT_MS', 10_000, 100, 120_000),
    maxSessionAgeSeconds: int('CHARTSIDE_MAX_SESSION_AGE_SECONDS', 43_200, 60, 2_592_000),
    sweepIntervalSeconds: int('CHARTSIDE_SWEEP_INTERVAL_SECONDS', 60, 0, 86_400),
    fhirMaxRequestBytes: int('CHARTSIDE_FHIR_MAX_REQUEST_BYTES', 1_048_576, 1024, 104_857_600),
    fhirMaxResponseBytes: int('CHARTSIDE_FHIR_MAX_RESPONSE_BYTES', 16_777_216, 1024, 1_073_741_824),
    fhirTimeoutMs: int('CHARTSIDE_FHIR_TIMEOUT_MS', 30_000, 100, 300_000),
    // Tests change rows behind the gateway's back (expire a token, revoke a key) and expect the
    // next request to see it, so the test mode reads every time unless a test turns the cache on.
    lookupCacheMs: int('CHARTSIDE_LOOKUP_CACHE_MS', mode === 'test' ? 0 : 2000, 0, 60_000),
  };
}

function parseMode(value: string | undefined): RunMode {
  if (value === undefined || value === '' || value === 'development' || value === 'dev') return 'development';
  if (value === 'production' || value === 'test') return value;
  throw new ConfigError(`CHARTSIDE_ENV must be development, production or test (got "${value}")`);
}

function parsePort(value: string | undefined, fallback: number, name: string): number {
  return parseInteger(value, fallback, name, 0, 65_535);
}

function parseInteger(
  value: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
  return n;
}

function parseBoolean(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false`);
}

export function parseAuthMethod(value: string, name = 'auth method'): ClientAuthMethod {
  if (value === 'client_secret_basic' || value === 'private_key_jwt') return value;
  throw new ConfigError(`${name} must be client_secret_basic or private_key_jwt`);
}

function parsePublicUrl(value: string | undefined, mode: RunMode, port: number): string {
  if (!value) {
    if (mode === 'production') throw new ConfigError('PUBLIC_URL is required in production');
    return `http://localhost:${port}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('PUBLIC_URL must be an absolute URL such as https://chartside.example.org');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && mode !== 'production')) {
    throw new ConfigError('PUBLIC_URL must use https in production');
  }
  if (url.search || url.hash) throw new ConfigError('PUBLIC_URL must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function parseDatabaseUrl(value: string): string {
  if (value.startsWith('sqlite:') || value.startsWith('postgres://') || value.startsWith('postgresql://'))
    return value;
  throw new ConfigError('DATABASE_URL must start with sqlite: or postgres://');
}

function loadMasterKey(value: string | undefined, mode: RunMode, dataDir: string): Buffer {
  if (value) return decodeMasterKey(value);
  if (mode === 'production') {
    throw new ConfigError(
      'CHARTSIDE_MASTER_KEY is required in production (32 bytes, base64; `openssl rand -base64 32`)',
    );
  }
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return decodeMasterKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  try {
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return decodeMasterKey(readFileSync(file, 'utf8').trim());
    throw error;
  }
  chmodSync(file, 0o600);
  return key;
}

function decodeMasterKey(value: string): Buffer {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new ConfigError('CHARTSIDE_MASTER_KEY must be 32 bytes encoded as base64');
  return key;
}
