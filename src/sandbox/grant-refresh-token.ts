/**
 * The refresh_token grant (S5). Cerner style by default: no new refresh token, the presented one
 * keeps working; with rotation on, a new one replaces it (docs/cerner.md §7).
 */
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { OFFLINE_IDLE_LIMIT_MS, type RefreshGrant } from './state.ts';
import { type TokenResponseBody, tokenResponse } from './token-response.ts';

/** The grant behind a live refresh token of this client: not revoked, not idle, its session on. */
function liveRefreshGrant(
  ctx: SandboxContext,
  fields: Record<string, string>,
  client: string,
  now: number,
): RefreshGrant {
  const grant = fields.refresh_token ? ctx.state.refreshGrant(fields.refresh_token) : undefined;
  if (
    !grant ||
    grant.revoked ||
    grant.clientId !== client ||
    (grant.offline && now - grant.lastUsedAt > OFFLINE_IDLE_LIMIT_MS)
  ) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.refreshTokenInvalid,
      'the refresh token is unknown, revoked or idle',
      client,
    );
  }
  // online_access lives as long as the user's session (docs/cerner.md §7).
  if (!grant.offline && !ctx.state.activeSession(grant.sessionId)) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.refreshSessionInvalid,
      'the user session of this online token ended',
      client,
    );
  }
  return grant;
}

export async function refreshTokenGrant(
  ctx: SandboxContext,
  fields: Record<string, string>,
  app: SandboxAppRegistration,
): Promise<TokenResponseBody> {
  const now = ctx.clock.nowMs();
  const grant = liveRefreshGrant(ctx, fields, app.clientId, now);
  grant.lastUsedAt = now;
  if (!ctx.rotateRefreshTokens) return tokenResponse(ctx, grant, app, false);
  // Rotation: the answer carries a new refresh token and the presented one stops working.
  grant.revoked = true;
  const body = await tokenResponse(ctx, grant, app, false);
  body.refresh_token = ctx.state.createRefreshGrant(grant, grant.offline).token;
  return body;
}
