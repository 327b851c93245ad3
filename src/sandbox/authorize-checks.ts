/**
 * The authorize endpoint's checks, one function each, in the order of the Simulator spec S4.
 * The first three throw AuthorizePageError (no redirect: the client or its redirect URI cannot
 * be trusted yet); the rest throw AuthorizeRedirectError.
 */
import { isAbsoluteUrl, privacyOf, type SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { AuthorizePageError, AuthorizeRedirectError, URN } from './errors.ts';
import type { LaunchContext, Session } from './state.ts';

export type AuthorizeParams = Record<string, string>;

/** S4.1 */
export function checkTenant(ctx: SandboxContext, tenant: string): void {
  if (tenant !== ctx.tenant) {
    throw new AuthorizePageError(URN.unknownTenant, 'The requested tenant is not recognized.');
  }
}

/** S4.2, with the message Cerner shows (cerner/smart-on-fhir-tutorial issue #123). */
export function checkClient(ctx: SandboxContext, params: AuthorizeParams): SandboxAppRegistration {
  const app = ctx.appByClientId(params.client_id);
  if (!app) {
    throw new AuthorizePageError(
      URN.unknownClient,
      'The supplied "client_id" value does not correspond to any registered applications on record.',
    );
  }
  return app;
}

function withoutTrailingSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

export interface CheckedRedirect {
  /** Where to send the browser: the URI as sent, or the default registered one. */
  target: string;
  /** redirect_uri as sent, or undefined when omitted; the token request must match (4.2). */
  sent: string | undefined;
}

/**
 * S4.3: scheme, host, port and path must equal a registered URI exactly; extra query
 * parameters on the request are allowed; a trailing slash counts.
 */
export function checkRedirectUri(app: SandboxAppRegistration, params: AuthorizeParams): CheckedRedirect {
  const sent = params.redirect_uri;
  if (sent === undefined || sent === '') {
    return { target: app.redirectUris[0] as string, sent: undefined };
  }
  if (!isAbsoluteUrl(sent)) {
    throw new AuthorizePageError(
      URN.redirectUriNotAbsolute,
      'The supplied "redirect_uri" is not an absolute URI.',
    );
  }
  const requested = new URL(sent);
  let trailingSlashOnly = false;
  for (const registered of app.redirectUris) {
    const candidate = new URL(registered);
    const sameOrigin = candidate.protocol === requested.protocol && candidate.host === requested.host;
    if (!sameOrigin || requested.hash !== '') continue;
    if (candidate.pathname === requested.pathname) return { target: sent, sent };
    if (withoutTrailingSlash(candidate.pathname) === withoutTrailingSlash(requested.pathname)) {
      trailingSlashOnly = true;
    }
  }
  if (trailingSlashOnly) {
    throw new AuthorizePageError(
      URN.invalidRedirectUriTrailingSlash,
      'The supplied "redirect_uri" differs from the registered one by a trailing slash.',
    );
  }
  throw new AuthorizePageError(
    URN.invalidRedirectUri,
    'The supplied "redirect_uri" does not match a redirect URI registered for this application.',
  );
}

/** S4.5 */
export function checkPersona(app: SandboxAppRegistration, persona: string): void {
  if ((app.persona ?? 'provider') !== persona) {
    throw new AuthorizeRedirectError(
      'unauthorized_client',
      URN.clientPersonaMismatch,
      `the app is a ${app.persona ?? 'provider'} app but the ${persona} authorize URL was used`,
    );
  }
}

/** S4.6: a v2 app on the smart-v1 path (or the reverse) sees the unknown-tenant page (YOURPHR). */
export function checkProfile(app: SandboxAppRegistration, profile: string): void {
  const expected = (app.smartVersion ?? 'v1') === 'v2' ? 'smart-v2' : 'smart-v1';
  if (profile !== expected) {
    throw new AuthorizePageError(URN.unknownTenant, 'The requested tenant is not recognized.');
  }
}

/** S4.7 */
export function checkResponseType(params: AuthorizeParams): void {
  if (params.response_type !== 'code') {
    throw new AuthorizeRedirectError(
      'unsupported_response_type',
      URN.unsupportedResponseType,
      `response_type must be "code", got "${params.response_type ?? ''}"`,
    );
  }
}

/** S4.8: aud is required and must equal the FHIR base exactly (no trailing-slash tolerance). */
export function checkAudience(ctx: SandboxContext, params: AuthorizeParams): void {
  if (params.aud === undefined || params.aud === '') {
    throw new AuthorizeRedirectError('invalid_request', URN.audienceRequired, 'the aud parameter is missing');
  }
  if (params.aud !== ctx.urls.fhirBase) {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.audienceNotWhiteListed,
      `aud must be exactly ${ctx.urls.fhirBase}, got ${params.aud}`,
    );
  }
}

/** S4.9 (first part): with the `launch` scope, a usable launch of this client is required. */
export function checkLaunch(
  ctx: SandboxContext,
  app: SandboxAppRegistration,
  params: AuthorizeParams,
  requestedScopes: readonly string[],
): LaunchContext | undefined {
  if (!requestedScopes.includes('launch')) return undefined;
  if (params.launch === undefined || params.launch === '') {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.launchCodeRequired,
      'scope "launch" needs a launch parameter',
    );
  }
  const launch = ctx.state.usableLaunch(params.launch);
  if (!launch || launch.clientId !== app.clientId) {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.launchInvalidCode,
      'the launch is unknown, expired, already used, or belongs to another app',
    );
  }
  return launch;
}

/** S4.9 (second part): the signed-in user must be the one who launched. */
export function checkLaunchIdentity(launch: LaunchContext | undefined, session: Session): void {
  if (launch && launch.username !== session.username) {
    throw new AuthorizeRedirectError(
      'access_denied',
      URN.mismatchedIdentity,
      `the launch belongs to ${launch.username} but ${session.username} is signed in`,
    );
  }
}

/** S4.10: only S256 is supported (plain is not advertised). Returns the challenge to store. */
export function checkPkce(params: AuthorizeParams): string | undefined {
  const challenge = params.code_challenge;
  const method = params.code_challenge_method;
  if ((challenge === undefined || challenge === '') && (method === undefined || method === ''))
    return undefined;
  if (!challenge) {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.invalidRequest,
      'code_challenge_method without code_challenge',
    );
  }
  if (method !== 'S256') {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.invalidRequest,
      'code_challenge_method must be S256',
    );
  }
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.invalidRequest,
      'code_challenge is not a base64url SHA-256',
    );
  }
  return challenge;
}

/** A Public app has no secret: PKCE is what binds the code to it, so it is required (S4.10). */
export function checkPublicClientPkce(app: SandboxAppRegistration, challenge: string | undefined): void {
  if (privacyOf(app) === 'public' && challenge === undefined) {
    throw new AuthorizeRedirectError(
      'invalid_request',
      URN.invalidRequest,
      'a Public application must send a PKCE code_challenge (S256)',
    );
  }
}
