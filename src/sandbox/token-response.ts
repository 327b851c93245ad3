/**
 * The token endpoint's success body with Cerner's response fields (docs/cerner.md §5 (fields)):
 * the access token, and for a user's grant the id_token, launch context and refresh token.
 */
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { findUser } from './data.ts';
import type { GrantContext } from './state.ts';

export type TokenResponseBody = Record<string, unknown>;

/** The fields every grant answers, client_credentials included. */
export async function accessTokenFields(
  ctx: SandboxContext,
  grant: GrantContext,
  app: SandboxAppRegistration,
): Promise<TokenResponseBody> {
  return {
    access_token: await ctx.minter.accessToken(grant, app),
    token_type: 'Bearer',
    // 30 s less than the token lives, as Cerner reports it.
    expires_in: ctx.accessTokenLifetimeSeconds - 30,
    scope: grant.scopes.join(' '),
  };
}

/**
 * The answer to a user's grant. `withRefresh`: a new refresh token when online_access or
 * offline_access was granted to an app registered with Type of Access Offline (the
 * refresh_token grant issues none, Cerner style). An Online app never gets one: the guide's
 * "Pick Online instead only if you have a hard policy against refresh tokens".
 */
export async function tokenResponse(
  ctx: SandboxContext,
  grant: GrantContext,
  app: SandboxAppRegistration,
  withRefresh: boolean,
): Promise<TokenResponseBody> {
  const user = findUser(grant.username);
  const body = await accessTokenFields(ctx, grant, app);
  if (grant.scopes.includes('openid')) {
    const rogue =
      ctx.faults.current.id_token === 'unknown_kid' ? await ctx.keys.unpublishedIdTokenKey() : undefined;
    body.id_token = await ctx.minter.idToken(grant, app, rogue);
  }
  if (grant.patientId !== undefined) body.patient = grant.patientId;
  if (grant.encounterId !== undefined) body.encounter = grant.encounterId;
  body.user = user?.practitionerId ?? grant.username;
  body.username = grant.username;
  body.tenant = ctx.tenant;
  body.need_patient_banner = grant.needPatientBanner;
  body.smart_style_url = ctx.urls.smartStyle;
  const online = grant.scopes.includes('online_access');
  const offline = grant.scopes.includes('offline_access');
  if (withRefresh && app.accessType === 'offline' && (online || offline)) {
    body.refresh_token = ctx.state.createRefreshGrant(grant, offline).token;
  }
  return body;
}
