/**
 * What a profile server's token endpoint answers: an opaque access token (Epic's are not JWTs;
 * peers-and-libs §B.9), the granted scopes as the policy repeats them, the launch context and
 * vendor fields, an RS256 id_token when `openid` was granted, and a refresh token when the policy
 * gives one. The token's facts (client, scopes, patient, FHIR base) stay on the server side.
 */
import { SignJWT } from 'jose';
import type { SandboxContext } from './context.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import type { GrantContext } from './state.ts';

export type ProfileTokenBody = Record<string, unknown>;

/** access_token, token_type, expires_in and scope, the token remembered for the FHIR server. */
export function accessFields(
  ctx: SandboxContext,
  server: ProfileServer,
  grant: GrantContext,
): ProfileTokenBody {
  const lifetime = ctx.profileTokenLifetimeSeconds ?? server.policy.accessTokenLifetimeSeconds;
  const token = server.policy.opaque('access_token');
  ctx.state.rememberAccessToken({
    jti: token,
    clientId: grant.clientId,
    scopes: grant.scopes,
    expiresAt: ctx.clock.nowMs() + lifetime * 1000,
    audience: server.urls.fhir,
    needPatientBanner: grant.needPatientBanner,
    ...(grant.patientId !== undefined ? { patientId: grant.patientId } : {}),
    ...(grant.encounterId !== undefined ? { encounterId: grant.encounterId } : {}),
  });
  return {
    access_token: token,
    token_type: 'Bearer',
    expires_in: lifetime,
    scope: server.policy.echoedScopes(grant.scopes).join(' '),
  };
}

/** The id_token: RS256, `iss` the server's OpenID issuer, `aud` the client (OIDC Core 2). */
export async function idToken(
  ctx: SandboxContext,
  server: ProfileServer,
  grant: GrantContext,
): Promise<string> {
  const key =
    ctx.faults.current.id_token === 'unknown_kid' ? await server.unpublishedKey() : await server.idTokenKey();
  const iat = ctx.clock.nowSeconds();
  const claims = server.policy.idTokenClaims(grant, server);
  if (grant.nonce !== undefined) claims.nonce = grant.nonce;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(server.urls.oidcIssuer)
    .setAudience(grant.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + server.policy.idTokenLifetimeSeconds)
    .sign(key.privateKey);
}

/** The answer to an authorization code: token, context, id_token and maybe a refresh token. */
export async function codeResponse(
  ctx: SandboxContext,
  server: ProfileServer,
  grant: GrantContext,
  client: ProfileClient,
  authorizeState: string | undefined,
): Promise<ProfileTokenBody> {
  const body = accessFields(ctx, server, grant);
  Object.assign(body, server.policy.contextFields(grant, server, authorizeState));
  if (grant.scopes.includes('openid')) body.id_token = await idToken(ctx, server, grant);
  const kind = server.policy.refreshKind(grant.scopes, client);
  if (kind !== undefined) {
    body.refresh_token = ctx.state.createRefreshGrant(
      grant,
      kind === 'offline',
      server.policy.opaque('refresh_token'),
    ).token;
  }
  return body;
}
