/**
 * Configuration of the local Cerner sandbox: the public option types, their defaults, and the
 * validation of a JSON config file. Mirrors the "Simulator spec" S1 configuration model of
 * docs/cerner.md §13, reduced to what a Code Console registration carries.
 */
import { readFileSync } from 'node:fs';
import { isObject, OptionReader } from './option-reader.ts';
import {
  type EpicAppRegistration,
  epicClientIds,
  type SmartAppRegistration,
  validateEpicApp,
  validateSmartApp,
} from './profile-config.ts';
import { httpUrl, isAbsoluteUrl } from './url-checks.ts';

export { httpUrl, isAbsoluteUrl } from './url-checks.ts';

/** Cerner's public code-sandbox tenant (docs/cerner.md §10). */
export const DEFAULT_TENANT = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
export const DEFAULT_PORT = 4000;
export const DEFAULT_HOST = '127.0.0.1';
/** Cerner access tokens live 600 s (JWT exp - iat); expires_in reports 30 s less (docs/cerner.md §5). */
export const DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 600;
export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
/** Cerner's CDS Hooks JWT issuer (docs/cerner.md §9). */
export const DEFAULT_CDS_ISSUER = 'https://cds-hooks.cerner.com';

/** Code Console's Application Type: the SMART persona (System apps use client credentials). */
export type ApplicationType = 'provider' | 'patient' | 'system';
export const APPLICATION_TYPES: readonly ApplicationType[] = ['provider', 'patient', 'system'];

/**
 * What the Code Console records about an app without the authorization server using it: owner,
 * intended users and purposes, default FHIR version, product family and products.
 */
export interface RegistrationDetails {
  owner?: string;
  intendedUsers?: string[];
  intendedPurposes?: string[];
  defaultFhirVersion?: 'R4' | 'DSTU2';
  productFamily?: 'Millennium' | 'Soarian';
  products?: string[];
}

/** One app as registered in Code Console plus its Cerner Central system account. */
export interface SandboxAppRegistration {
  /** Shown on the consent page ("Cerner practitioner app <name>"). */
  name: string;
  /** Code Console Application ID, used in the launcher URL /smart/{tenant}/apps/{applicationId}. */
  applicationId: string;
  /** OAuth client_id (= Cerner Central system account id). */
  clientId: string;
  /** Secret for client_secret_basic. */
  secret?: string;
  /** private_key_jwt: JWKS URL fetched to verify client assertions. */
  jwksUrl?: string;
  /** The first one is the default; matched strictly (S4.3). Empty only for a System app. */
  redirectUris: string[];
  /** SMART Launch URI the launcher redirects to with ?iss=&launch=. Empty only for a System app. */
  launchUri: string;
  /** Offline: offline_access and refresh tokens. Online: online_access only, no refresh token. */
  accessType: 'online' | 'offline';
  /** Default v1. */
  smartVersion?: 'v1' | 'v2';
  /** Default provider. */
  persona?: ApplicationType;
  /**
   * Confidential: authenticates with its secret or a JWT assertion. Public: no secret, PKCE
   * required. Default: confidential when a secret or a JWKS URL is set.
   */
  privacy?: 'confidential' | 'public';
  /** Registered scopes (the Code Console "API Access" ticks). */
  scopes: string[];
  /** What the Code Console shows and the authorization server does not use. */
  details?: RegistrationDetails;
  /**
   * CDS services registered for the app (exact service URLs, e.g. an org's CDS Hooks URL plus
   * `/<service id>`): the Test Sandbox chart fires `patient-view` at each and shows the cards.
   */
  cdsServiceUrls?: string[];
}

export interface SandboxOptions {
  /** Default 4000; 0 = ephemeral. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `http://localhost:<actual port>`; every advertised URL uses it. */
  publicOrigin?: string;
  /** Default Cerner's public sandbox tenant. */
  tenant?: string;
  apps: SandboxAppRegistration[];
  /** Apps of the Epic-shaped profile, under `/epic/` (docs/sandbox-profiles.md). */
  epicApps?: EpicAppRegistration[];
  /** Apps of the generic SMART App Launch 2 profile, under `/smart-ehr/` (docs/sandbox-profiles.md). */
  smartApps?: SmartAppRegistration[];
  /** Default 600; expires_in reported = lifetime - 30. */
  accessTokenLifetimeSeconds?: number;
  /**
   * Default false, as Cerner: a refresh answers without a new refresh token and the old one keeps
   * working (docs/cerner.md §7). true: every refresh issues a new refresh token and revokes
   * the one it was called with (rotation, as other servers do).
   */
  rotateRefreshTokens?: boolean;
  /**
   * Folder of the sandbox's own SQLite file (`cerner-sandbox.db`) holding the registrations, so
   * apps registered in the Code Console survive a restart. Default: none (kept in memory).
   * `apps` are written into it at every start (the same client id is replaced).
   */
  dataDir?: string;
  /** Enables /_test/* (default false). */
  testControls?: boolean;
  /** Fastify logger, default false. */
  logger?: boolean;
  /** Timeout of JWKS fetches and CDS Hooks calls, default 5000. */
  fetchTimeoutMs?: number;
  /** `iss` of the CDS Hooks JWTs the sandbox signs (default Cerner's `https://cds-hooks.cerner.com`). */
  cdsIssuer?: string;
}

/** Confidential or Public, as registered, else from what the app authenticates with. */
export function privacyOf(app: SandboxAppRegistration): 'confidential' | 'public' {
  return app.privacy ?? (app.secret !== undefined || app.jwksUrl !== undefined ? 'confidential' : 'public');
}

function validateDetails(raw: unknown, where: string): RegistrationDetails {
  if (!isObject(raw)) throw new Error(`${where}: "details" must be an object`);
  const read: OptionReader = new OptionReader(`${where}: details`);
  const details: RegistrationDetails = {};
  const owner = read.string(raw, 'owner', false);
  if (owner !== undefined) details.owner = owner;
  for (const field of ['intendedUsers', 'intendedPurposes', 'products'] as const) {
    if (raw[field] !== undefined) details[field] = read.stringList(raw, field);
  }
  const version = read.oneOf(raw, 'defaultFhirVersion', ['R4', 'DSTU2'] as const);
  if (version !== undefined) details.defaultFhirVersion = version;
  const family = read.oneOf(raw, 'productFamily', ['Millennium', 'Soarian'] as const);
  if (family !== undefined) details.productFamily = family;
  return details;
}

function validateApp(raw: unknown, where: string): SandboxAppRegistration {
  if (!isObject(raw)) throw new Error(`${where}: must be an object`);
  const read: OptionReader = new OptionReader(where);
  const persona = read.oneOf(raw, 'persona', APPLICATION_TYPES);
  // A System app is never launched or redirected to: it has neither URI.
  const system = persona === 'system';
  const redirectUris = system && raw.redirectUris === undefined ? [] : read.stringList(raw, 'redirectUris');
  if (redirectUris.length === 0 && !system) read.fail('redirectUris', 'needs at least one URI');
  for (const uri of redirectUris) {
    // Cerner requires absolute redirect URIs (docs/cerner.md §3, redirect_uri row).
    if (!isAbsoluteUrl(uri)) read.fail('redirectUris', `contains a URI that is not absolute: ${uri}`);
  }
  const launchUri =
    (system ? read.string(raw, 'launchUri', false) : read.string(raw, 'launchUri', true)) ?? '';
  if (launchUri !== '' && !httpUrl(launchUri)) read.fail('launchUri', 'must be an http(s) URL');
  const jwksUrl = read.string(raw, 'jwksUrl', false);
  if (jwksUrl !== undefined && !httpUrl(jwksUrl)) read.fail('jwksUrl', 'must be an http(s) URL');
  const accessType = read.oneOf(raw, 'accessType', ['online', 'offline'] as const);
  if (accessType === undefined) read.fail('accessType', 'is required (online or offline)');
  const app: SandboxAppRegistration = {
    name: read.string(raw, 'name', true),
    applicationId: read.string(raw, 'applicationId', true),
    clientId: read.string(raw, 'clientId', true),
    redirectUris,
    launchUri,
    accessType,
    scopes: read.stringList(raw, 'scopes'),
  };
  const secret = read.string(raw, 'secret', false);
  if (secret !== undefined) app.secret = secret;
  if (jwksUrl !== undefined) app.jwksUrl = jwksUrl;
  const smartVersion = read.oneOf(raw, 'smartVersion', ['v1', 'v2'] as const);
  if (smartVersion !== undefined) app.smartVersion = smartVersion;
  if (persona !== undefined) app.persona = persona;
  const privacy = read.oneOf(raw, 'privacy', ['confidential', 'public'] as const);
  if (privacy !== undefined) {
    if (privacy === 'public' && (secret !== undefined || jwksUrl !== undefined))
      read.fail('privacy', 'is public, but a public app has no secret and no JWKS URL');
    app.privacy = privacy;
  }
  if (raw.cdsServiceUrls !== undefined) {
    const cdsServiceUrls = read.stringList(raw, 'cdsServiceUrls');
    for (const url of cdsServiceUrls) {
      if (!httpUrl(url)) read.fail('cdsServiceUrls', `contains a URL that is not http(s): ${url}`);
    }
    app.cdsServiceUrls = cdsServiceUrls;
  }
  if (raw.details !== undefined) app.details = validateDetails(raw.details, where);
  return app;
}

/**
 * Checks an options object (typically parsed JSON) and returns it typed. Throws an Error whose
 * one-line message names the offending field.
 */
export function validateSandboxOptions(raw: unknown, where = 'sandbox options'): SandboxOptions {
  if (!isObject(raw)) throw new Error(`${where}: must be a JSON object`);
  const read: OptionReader = new OptionReader(where);
  if (!Array.isArray(raw.apps)) read.fail('apps', 'must be an array of app registrations');
  const apps = raw.apps.map((app, index) => validateApp(app, `${where}: apps[${index}]`));
  for (const key of ['clientId', 'applicationId'] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[key])) read.fail('apps', `has two apps with ${key} ${app[key]}`);
      seen.add(app[key]);
    }
  }
  const options: SandboxOptions = { apps };
  if (raw.epicApps !== undefined) {
    if (!Array.isArray(raw.epicApps)) read.fail('epicApps', 'must be an array of Epic app registrations');
    options.epicApps = raw.epicApps.map((app, index) => validateEpicApp(app, `${where}: epicApps[${index}]`));
  }
  if (raw.smartApps !== undefined) {
    if (!Array.isArray(raw.smartApps)) read.fail('smartApps', 'must be an array of SMART app registrations');
    options.smartApps = raw.smartApps.map((app, index) =>
      validateSmartApp(app, `${where}: smartApps[${index}]`),
    );
  }
  // One client id names one app, whichever profile it is registered with.
  const clientIds = new Set(apps.map((app) => app.clientId));
  for (const clientId of [
    ...(options.epicApps ?? []).flatMap(epicClientIds),
    ...(options.smartApps ?? []).map((app) => app.clientId),
  ]) {
    if (clientIds.has(clientId)) read.fail('apps', `use the client id ${clientId} twice`);
    clientIds.add(clientId);
  }
  const port = read.integer(raw, 'port', 0, 65535);
  if (port !== undefined) options.port = port;
  const host = read.string(raw, 'host', false);
  if (host !== undefined) options.host = host;
  const publicOrigin = read.string(raw, 'publicOrigin', false);
  if (publicOrigin !== undefined) {
    if (!httpUrl(publicOrigin)) read.fail('publicOrigin', 'must be an http(s) origin');
    const { pathname, search, hash } = new URL(publicOrigin);
    // Every sandbox path hangs off the origin root, so the origin cannot carry a path prefix.
    if (pathname !== '/' || search !== '' || hash !== '') {
      read.fail('publicOrigin', 'must be an origin without a path, like http://localhost:4000');
    }
    options.publicOrigin = publicOrigin;
  }
  const dataDir = read.string(raw, 'dataDir', false);
  if (dataDir !== undefined) options.dataDir = dataDir;
  const tenant = read.string(raw, 'tenant', false);
  if (tenant !== undefined) {
    if (!/^[A-Za-z0-9-]+$/.test(tenant)) read.fail('tenant', 'may contain only letters, digits and dashes');
    options.tenant = tenant;
  }
  const lifetime = read.integer(raw, 'accessTokenLifetimeSeconds', 31, 86_400);
  if (lifetime !== undefined) options.accessTokenLifetimeSeconds = lifetime;
  const rotate = read.boolean(raw, 'rotateRefreshTokens');
  if (rotate !== undefined) options.rotateRefreshTokens = rotate;
  const testControls = read.boolean(raw, 'testControls');
  if (testControls !== undefined) options.testControls = testControls;
  const logger = read.boolean(raw, 'logger');
  if (logger !== undefined) options.logger = logger;
  const fetchTimeoutMs = read.integer(raw, 'fetchTimeoutMs', 1, 120_000);
  if (fetchTimeoutMs !== undefined) options.fetchTimeoutMs = fetchTimeoutMs;
  const cdsIssuer = read.string(raw, 'cdsIssuer', false);
  if (cdsIssuer !== undefined) options.cdsIssuer = cdsIssuer;
  return options;
}

/** Reads and validates a JSON config file with the SandboxOptions shape. */
export function loadSandboxConfigFile(path: string): SandboxOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(`cannot read sandbox config file ${path} (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`sandbox config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return validateSandboxOptions(parsed, `sandbox config file ${path}`);
}
