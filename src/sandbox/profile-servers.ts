/**
 * The sandbox's Epic and SMART profile servers, built from the options: their paths under one
 * origin (Epic's non-production and production systems under `/epic/nonprod` and `/epic/prod`,
 * the SMART EHR under `/smart-ehr`), their clients and their keys. Epic's path tails are Epic's
 * own (`api/FHIR/R4`, `oauth2/authorize`, …), so clients cannot lean on Cerner's shapes.
 */
import type { SandboxOptions } from './config.ts';
import { EPIC_POLICY } from './epic-profile.ts';
import type { SigningKey } from './keys.ts';
import type { EpicAppRegistration, EpicClientCredentials, SmartAppRegistration } from './profile-config.ts';
import { generateIdTokenKey, type KidStyle } from './profile-keys.ts';
import type {
  ProfileClient,
  ProfilePaths,
  ProfilePolicy,
  ProfileServer,
  ProfileServerId,
  ProfileUrls,
} from './profile-types.ts';
import { SMART_POLICY } from './smart-profile.ts';

export const EPIC_ENVIRONMENTS = ['nonprod', 'prod'] as const;
export type EpicEnvironment = (typeof EPIC_ENVIRONMENTS)[number];

function epicPaths(environment: EpicEnvironment): ProfilePaths {
  const root = `/epic/${environment}`;
  return {
    fhir: `${root}/api/FHIR/R4`,
    authorize: `${root}/oauth2/authorize`,
    token: `${root}/oauth2/token`,
    oidcIssuer: `${root}/oauth2`,
    jwks: `${root}/api/epic/2019/Security/Open/PublicKeys/530005/OIDC`,
    style: `${root}/api/epic/2016/EDI/HTTP/style/100016/sandbox.json`,
    signIn: `${root}/oauth2/authorize/sign-in`,
    pickPatient: `${root}/oauth2/authorize/patient`,
    launcher: `${root}/launcher`,
  };
}

const SMART_PATHS: ProfilePaths = {
  fhir: '/smart-ehr/fhir',
  authorize: '/smart-ehr/auth/authorize',
  token: '/smart-ehr/auth/token',
  revoke: '/smart-ehr/auth/revoke',
  introspect: '/smart-ehr/auth/introspect',
  oidcIssuer: '/smart-ehr/auth',
  jwks: '/smart-ehr/auth/jwks',
  style: '/smart-ehr/smart-style.json',
  signIn: '/smart-ehr/auth/sign-in',
  pickPatient: '/smart-ehr/auth/patient',
  launcher: '/smart-ehr/launcher',
};

/** Absolute URLs, read from the origin at each use (the port is known only once listening). */
function urlsOf(paths: ProfilePaths, originOf: () => string): ProfileUrls {
  const urls = {} as Record<string, string | undefined>;
  for (const key of Object.keys(paths) as (keyof ProfilePaths)[]) {
    Object.defineProperty(urls, key, {
      enumerable: true,
      get: () => (paths[key] === undefined ? undefined : `${originOf()}${paths[key]}`),
    });
  }
  return urls as unknown as ProfileUrls;
}

function epicClient(app: EpicAppRegistration, credentials: EpicClientCredentials): ProfileClient {
  const confidential = credentials.secret !== undefined || credentials.jwksUrl !== undefined;
  return {
    clientId: credentials.clientId,
    name: app.name,
    ...(credentials.secret !== undefined ? { secret: credentials.secret } : {}),
    ...(credentials.jwksUrl !== undefined ? { jwksUrl: credentials.jwksUrl } : {}),
    jkuAllowlist: app.jkuAllowlist ?? [],
    redirectUris: app.redirectUris,
    launchUri: app.launchUri,
    scopes: app.scopes,
    refreshTokens: app.refreshTokens ?? confidential,
    confidential,
  };
}

function smartClient(app: SmartAppRegistration): ProfileClient {
  return {
    clientId: app.clientId,
    name: app.name,
    ...(app.secret !== undefined ? { secret: app.secret } : {}),
    ...(app.jwksUrl !== undefined ? { jwksUrl: app.jwksUrl } : {}),
    jkuAllowlist: [],
    redirectUris: app.redirectUris,
    launchUri: app.launchUri ?? '',
    scopes: app.scopes,
    refreshTokens: app.refreshTokens ?? true,
    confidential: app.secret !== undefined || app.jwksUrl !== undefined,
  };
}

/** A key made once, on first use. */
function lazyKey(style: KidStyle): () => Promise<SigningKey> {
  let key: Promise<SigningKey> | undefined;
  return () => {
    key ??= generateIdTokenKey(style);
    return key;
  };
}

function server(
  id: ProfileServerId,
  label: string,
  paths: ProfilePaths,
  policy: ProfilePolicy,
  clients: ProfileClient[],
  originOf: () => string,
): ProfileServer {
  const kidStyle: KidStyle = policy.profile === 'epic' ? 'base64' : 'base64url';
  const byId = new Map(clients.map((client) => [client.clientId, client]));
  return {
    id,
    profile: policy.profile,
    label,
    paths,
    urls: urlsOf(paths, originOf),
    policy,
    idTokenKey: lazyKey(kidStyle),
    unpublishedKey: lazyKey(kidStyle),
    client: (clientId) => (clientId === undefined ? undefined : byId.get(clientId)),
    clients: () => clients,
  };
}

/** Epic non-production, Epic production and the SMART EHR, in that order. */
export function buildProfileServers(
  options: Pick<SandboxOptions, 'epicApps' | 'smartApps'>,
  originOf: () => string,
): ProfileServer[] {
  const epicApps = options.epicApps ?? [];
  return [
    server(
      'epic-nonprod',
      'Epic (non-production)',
      epicPaths('nonprod'),
      EPIC_POLICY,
      epicApps.map((app) => epicClient(app, app.nonProduction)),
      originOf,
    ),
    server(
      'epic-prod',
      'Epic (production)',
      epicPaths('prod'),
      EPIC_POLICY,
      epicApps.map((app) => epicClient(app, app.production)),
      originOf,
    ),
    server(
      'smart',
      'SMART App Launch 2 EHR',
      SMART_PATHS,
      SMART_POLICY,
      (options.smartApps ?? []).map(smartClient),
      originOf,
    ),
  ];
}

/** Where a profile server is, for whoever started the sandbox. */
export interface ProfileEndpoints {
  /** The `iss` of its launches and the `aud` to ask for, no trailing slash. */
  fhirBaseUrl: string;
  /** The browser launcher page. */
  launcherUrl: string;
}

export interface SandboxProfileEndpoints {
  epic: { nonProduction: ProfileEndpoints; production: ProfileEndpoints };
  smart: ProfileEndpoints;
}

export function profileEndpoints(origin: string): SandboxProfileEndpoints {
  const of = (paths: ProfilePaths) => ({
    fhirBaseUrl: `${origin}${paths.fhir}`,
    launcherUrl: `${origin}${paths.launcher}`,
  });
  return {
    epic: { nonProduction: of(epicPaths('nonprod')), production: of(epicPaths('prod')) },
    smart: of(SMART_PATHS),
  };
}

/** The server a client id belongs to, with the client. */
export function findProfileClient(
  servers: readonly ProfileServer[],
  clientId: string | undefined,
): { server: ProfileServer; client: ProfileClient } | undefined {
  for (const candidate of servers) {
    const client = candidate.client(clientId);
    if (client) return { server: candidate, client };
  }
  return undefined;
}
