/**
 * The checks of a profile server's authorize request, in order (RFC 6749 4.1.1 and SMART App
 * Launch 2.2 "Obtain authorization code"): the client and its redirect URI first (a page when
 * either is wrong, never a redirect), then what can be reported back to the app.
 */
import type { SandboxContext } from './context.ts';
import { ProfilePageError, ProfileRedirectError } from './profile-errors.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import { splitScope } from './scopes.ts';
import type { LaunchContext } from './state.ts';

export interface CheckedAuthorize {
  client: ProfileClient;
  redirectUri: string;
  state: string | undefined;
  requested: string[];
  codeChallenge: string | undefined;
  nonce: string | undefined;
  /** The EHR launch, or undefined for a standalone launch. */
  launch: LaunchContext | undefined;
}

/** The client and the redirect URI to answer at: exact match with a registered one. */
export function checkClientAndRedirect(
  server: ProfileServer,
  params: Record<string, string>,
): { client: ProfileClient; redirectUri: string } {
  const client = server.client(params.client_id);
  if (!client) {
    throw new ProfilePageError('Unknown client', `This client_id is not registered with ${server.label}.`);
  }
  const redirectUri = params.redirect_uri;
  if (redirectUri === undefined || !client.redirectUris.includes(redirectUri)) {
    throw new ProfilePageError(
      'Invalid redirect_uri',
      'The redirect_uri is missing or does not match one registered for this app exactly.',
    );
  }
  return { client, redirectUri };
}

function checkAudience(server: ProfileServer, aud: string | undefined): void {
  if (aud === undefined || aud === '') {
    if (server.policy.audienceRequired) throw new ProfileRedirectError('invalid_request', 'aud is required');
    return;
  }
  if (aud !== server.urls.fhir) {
    throw new ProfileRedirectError(
      'invalid_request',
      `aud must be this server's FHIR base, ${server.urls.fhir}`,
    );
  }
}

/** S256 only; required by the policy (SMART: always; Epic: public clients). */
function checkPkce(
  server: ProfileServer,
  client: ProfileClient,
  params: Record<string, string>,
): string | undefined {
  const challenge = params.code_challenge || undefined;
  const method = params.code_challenge_method || undefined;
  if (challenge === undefined && method === undefined) {
    if (server.policy.pkceRequired(client))
      throw new ProfileRedirectError('invalid_request', 'PKCE is required: send code_challenge with S256');
    return undefined;
  }
  if (method !== 'S256')
    throw new ProfileRedirectError('invalid_request', 'code_challenge_method must be S256');
  if (challenge === undefined || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
    throw new ProfileRedirectError(
      'invalid_request',
      'code_challenge must be a base64url SHA-256 (43 characters)',
    );
  return challenge;
}

function checkLaunch(
  ctx: SandboxContext,
  server: ProfileServer,
  client: ProfileClient,
  params: Record<string, string>,
  requested: readonly string[],
): LaunchContext | undefined {
  const value = params.launch || undefined;
  if (value === undefined) {
    if (requested.includes('launch') && server.policy.launchScopeRequired)
      throw new ProfileRedirectError('invalid_request', 'scope "launch" needs a launch parameter');
    return undefined;
  }
  if (!requested.includes('launch') && server.policy.launchScopeRequired)
    throw new ProfileRedirectError('invalid_scope', 'a launch parameter needs the "launch" scope');
  const launch = ctx.state.usableLaunch(value);
  if (!launch || launch.clientId !== client.clientId) {
    throw new ProfileRedirectError(
      'invalid_request',
      'the launch is unknown, expired, already used, or belongs to another app',
    );
  }
  return launch;
}

/** Everything after the redirect URI is trusted: errors from here on go back to the app. */
export function checkAuthorizeRequest(
  ctx: SandboxContext,
  server: ProfileServer,
  client: ProfileClient,
  params: Record<string, string>,
): Omit<CheckedAuthorize, 'client' | 'redirectUri' | 'state'> {
  if (params.response_type !== 'code')
    throw new ProfileRedirectError('unsupported_response_type', 'response_type must be "code"');
  checkAudience(server, params.aud);
  const requested = splitScope(params.scope);
  if (requested.length === 0) throw new ProfileRedirectError('invalid_scope', 'scope is required');
  const launch = checkLaunch(ctx, server, client, params, requested);
  const codeChallenge = checkPkce(server, client, params);
  if (ctx.faults.current.authorize === 'deny')
    throw new ProfileRedirectError('access_denied', 'the authorize "deny" fault is on');
  return { requested, codeChallenge, nonce: params.nonce || undefined, launch };
}
