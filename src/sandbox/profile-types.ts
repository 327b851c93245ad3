/**
 * What the Epic-shaped and generic SMART profiles are made of (docs/sandbox-profiles.md): a
 * profile server is one authorization server with its FHIR base (Epic has two, non-production
 * and production; SMART one), its registered clients, its keys, and the policy that holds every
 * vendor difference. The machinery around it (authorize, token, FHIR, test controls) is shared.
 */
import type { CapabilityStatement } from 'fhir/r4.js';
import type { SigningKey } from './keys.ts';
import type { GrantContext, LaunchContext, LaunchExtras } from './state.ts';

export type ProfileId = 'epic' | 'smart';
export type ProfileServerId = 'epic-nonprod' | 'epic-prod' | 'smart';

/** A registered client, whatever profile it was registered with. */
export interface ProfileClient {
  clientId: string;
  name: string;
  secret?: string;
  jwksUrl?: string;
  /** Key set URLs a `jku` header may name besides `jwksUrl` (Epic only). */
  jkuAllowlist: readonly string[];
  redirectUris: readonly string[];
  /** Empty: the app cannot be EHR-launched. */
  launchUri: string;
  scopes: readonly string[];
  refreshTokens: boolean;
  confidential: boolean;
}

/** Paths of a profile server, from the origin's root; absent ones the server does not have. */
export interface ProfilePaths {
  fhir: string;
  authorize: string;
  token: string;
  revoke?: string;
  introspect?: string;
  /** The OpenID issuer: `{oidcIssuer}/.well-known/openid-configuration` is served. */
  oidcIssuer: string;
  jwks: string;
  style: string;
  /** Where the sign-in and patient-picker forms of a standalone launch post. */
  signIn: string;
  pickPatient: string;
  /** The browser launcher: a page to pick an app and a patient, then the launch. */
  launcher: string;
}

/** The absolute URLs of a profile server, as it advertises them. */
export type ProfileUrls = { readonly [K in keyof ProfilePaths]: ProfilePaths[K] };

/** Who is being authorized and with what, when the policy decides scopes and context. */
export interface ScopeRequest {
  requested: readonly string[];
  client: ProfileClient;
  /** The EHR launch, or undefined for a standalone launch. */
  launch: LaunchContext | undefined;
  patientId: string | undefined;
}

/** Everything that differs between Epic and the generic SMART profile. */
export interface ProfilePolicy {
  profile: ProfileId;
  /** `Epic` or `SMART EHR`, in page titles. */
  displayName: string;
  accessTokenLifetimeSeconds: number;
  /** What a launch carries unless it says otherwise. */
  launchDefaults: { needPatientBanner: boolean; extras: LaunchExtras };
  /** Must the authorize request carry `aud`? (When present it must be the FHIR base.) */
  audienceRequired: boolean;
  /** Must the authorize request carry `launch` in its scope when it has a `launch` parameter? */
  launchScopeRequired: boolean;
  pkceRequired(client: ProfileClient): boolean;
  /** `client_secret_post` accepted at the token endpoint. */
  clientSecretPost: boolean;
  /** The scopes a request gets (possibly none), identity scopes included. */
  grantScopes(request: ScopeRequest): string[];
  /** The token response's `scope`: what of the grant the server says it granted. */
  echoedScopes(granted: readonly string[]): string[];
  /** Does a standalone launch with these scopes show the patient picker? */
  picksPatient(requested: readonly string[]): boolean;
  /** offline: refresh token kept; online: dies with the session; undefined: none. */
  refreshKind(requested: readonly string[], client: ProfileClient): 'offline' | 'online' | undefined;
  /** Refresh answers a new refresh token and revokes the old one. */
  rotatesRefreshTokens: boolean;
  /** A refresh may ask for fewer scopes (`scope`, SMART App Launch 2 "Refresh"). */
  narrowsOnRefresh: boolean;
  /** The launch-context and vendor fields of a token response. */
  contextFields(
    grant: GrantContext,
    server: ProfileServer,
    authorizeState: string | undefined,
  ): Record<string, unknown>;
  /** Fields a refresh answers besides the token fields. */
  refreshFields(grant: GrantContext, server: ProfileServer): Record<string, unknown>;
  /** A refresh answers a new id_token too (when `openid` was granted). */
  idTokenOnRefresh: boolean;
  idTokenLifetimeSeconds: number;
  /** Claims of the id_token besides iss, aud, iat and exp (`sub` included). */
  idTokenClaims(grant: GrantContext, server: ProfileServer): Record<string, unknown>;
  smartConfiguration(server: ProfileServer): Record<string, unknown>;
  openidConfiguration(server: ProfileServer): Record<string, unknown>;
  capabilityStatement(server: ProfileServer): CapabilityStatement;
  /** The style document `smart_style_url` points at. */
  style: Record<string, string>;
  /** Opaque values: access and refresh tokens, codes and launches. */
  opaque(kind: 'access_token' | 'refresh_token' | 'code' | 'launch'): string;
}

export interface ProfileServer {
  id: ProfileServerId;
  profile: ProfileId;
  /** "Epic (non-production)", "SMART App Launch 2 EHR". */
  label: string;
  paths: ProfilePaths;
  urls: ProfileUrls;
  policy: ProfilePolicy;
  /** Signs id_tokens; published at `urls.jwks`. Made on first use (RSA key generation is slow). */
  idTokenKey(): Promise<SigningKey>;
  /** Signs id_tokens under the `id_token: unknown_kid` fault; never published. */
  unpublishedKey(): Promise<SigningKey>;
  client(clientId: string | undefined): ProfileClient | undefined;
  clients(): readonly ProfileClient[];
}
