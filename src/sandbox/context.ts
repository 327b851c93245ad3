/**
 * Everything the sandbox's handlers share: resolved settings, clock, URLs, keys, state, fault
 * switches and the request log. One instance per running sandbox; nothing is global.
 */
import { ClientJwksCache } from './client-jwks.ts';
import { SandboxClock } from './clock.ts';
import {
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  DEFAULT_CDS_ISSUER,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_TENANT,
  type SandboxAppRegistration,
  type SandboxOptions,
} from './config.ts';
import { ConsoleSessions } from './console-session.ts';
import { buildErrorUri, ErrorInstances } from './errors.ts';
import { FaultSwitches, HeldRequests } from './faults.ts';
import { SandboxKeys } from './keys.ts';
import { buildProfileServers } from './profile-servers.ts';
import type { ProfileServer } from './profile-types.ts';
import { AppRegistry } from './registry.ts';
import { RequestLog } from './request-log.ts';
import { SandboxState } from './state.ts';
import { TokenMinter } from './tokens.ts';
import { SandboxUrls } from './urls.ts';

export interface SandboxContext {
  tenant: string;
  /** The registered apps (Code Console and Cerner Central), in the sandbox's own SQLite file. */
  registry: AppRegistry;
  /** Developers signed in to the Code Console (not the EHR sign-in of `state`). */
  consoleSessions: ConsoleSessions;
  /** Timeout of outbound fetches: client JWKS (assertions and Cerner Central's Test). */
  fetchTimeoutMs: number;
  /** Changeable at run time through `PUT /_test/settings`. */
  accessTokenLifetimeSeconds: number;
  /** Changeable at run time through `PUT /_test/settings`. */
  rotateRefreshTokens: boolean;
  /**
   * Access-token lifetime of the Epic and SMART profiles once `PUT /_test/settings` set one;
   * until then each profile's own (3600 s).
   */
  profileTokenLifetimeSeconds: number | undefined;
  /** The Epic (non-production, production) and SMART profile servers (docs/sandbox-profiles.md). */
  profiles: readonly ProfileServer[];
  testControls: boolean;
  clock: SandboxClock;
  urls: SandboxUrls;
  keys: SandboxKeys;
  state: SandboxState;
  minter: TokenMinter;
  faults: FaultSwitches;
  held: HeldRequests;
  requestLog: RequestLog;
  errorInstances: ErrorInstances;
  clientJwks: ClientJwksCache;
  /** CDS Hooks: the `iss` of our JWTs and the timeout of one service call. */
  cds: { issuer: string; timeoutMs: number };
  appByClientId(clientId: string | undefined): SandboxAppRegistration | undefined;
  appByApplicationId(applicationId: string): SandboxAppRegistration | undefined;
  /** error_uri for an `urn:cerner:error:…`, remembering `detail` for the error page. */
  errorUri(urn: string, detail: string, query: [string, string][]): string;
}

export async function createSandboxContext(
  options: SandboxOptions,
  originOf: () => string,
): Promise<SandboxContext> {
  const tenant = options.tenant ?? DEFAULT_TENANT;
  const clock = new SandboxClock();
  const urls = new SandboxUrls(originOf, tenant);
  const keys = await SandboxKeys.generate(clock.now());
  const state = new SandboxState(clock);
  const accessTokenLifetimeSeconds =
    options.accessTokenLifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS;
  const testControls = options.testControls ?? false;
  const errorInstances = new ErrorInstances();
  const registry = AppRegistry.open(options.dataDir);
  for (const app of options.apps) registry.save(app);
  const ctx: SandboxContext = {
    tenant,
    registry,
    consoleSessions: new ConsoleSessions(),
    fetchTimeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    accessTokenLifetimeSeconds,
    rotateRefreshTokens: options.rotateRefreshTokens ?? false,
    profileTokenLifetimeSeconds: undefined,
    profiles: buildProfileServers(options, originOf),
    testControls,
    clock,
    urls,
    keys,
    state,
    minter: new TokenMinter({
      clock,
      keys,
      urls,
      state,
      lifetimeSeconds: () => ctx.accessTokenLifetimeSeconds,
    }),
    faults: new FaultSwitches(),
    held: new HeldRequests(),
    requestLog: new RequestLog(testControls, clock),
    errorInstances,
    clientJwks: new ClientJwksCache(options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS),
    cds: {
      issuer: options.cdsIssuer ?? DEFAULT_CDS_ISSUER,
      timeoutMs: options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    },
    appByClientId: (clientId) => registry.byClientId(clientId),
    appByApplicationId: (applicationId) => registry.byApplicationId(applicationId),
    errorUri: (urn, detail, query) =>
      buildErrorUri(urls.origin, urn, errorInstances.record(urn, detail), query),
  };
  return ctx;
}
