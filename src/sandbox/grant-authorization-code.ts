/**
 * The authorization_code grant (S5): the code is redeemed once, by the client it was issued to,
 * in its tenant, with the authorize request's redirect_uri and PKCE verifier. One function per
 * check, in the order they run.
 */
import { createHash } from 'node:crypto';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import type { AuthorizationCode, GrantContext } from './state.ts';
import { type TokenResponseBody, tokenResponse } from './token-response.ts';

function base64urlSha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Takes the code for good before checking who presents it: a code presented by the wrong client
 * or for the wrong tenant is spent too, and cannot be tried again.
 */
function redeemCode(
  ctx: SandboxContext,
  fields: Record<string, string>,
  client: string,
  tenant: string,
): AuthorizationCode {
  if (!fields.code)
    throw new TokenEndpointError('invalid_request', URN.tokenInvalidRequest, 'code is missing', client);
  const code = ctx.state.redeemCode(fields.code);
  if (!code) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.codeInvalidOrExpired,
      'the code is unknown, used or expired',
      client,
    );
  }
  if (code.clientId !== client) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.codeClientMismatch,
      'the code was issued to another client',
      client,
    );
  }
  if (code.tenant !== tenant) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.codeTenantMismatch,
      'the code belongs to another tenant',
      client,
    );
  }
  return code;
}

/** Sent at authorize: must be identical here. Omitted there: must be omitted here (4.2). */
function checkRedirectUri(fields: Record<string, string>, code: AuthorizationCode, client: string): void {
  if (fields.redirect_uri === code.redirectUri) return;
  const detail =
    code.redirectUri === undefined
      ? 'redirect_uri was not sent at authorize, so it must be omitted'
      : 'redirect_uri differs from the one sent at authorize';
  throw new TokenEndpointError('invalid_grant', URN.tokenInvalidRedirectUri, detail, client);
}

/** PKCE: authorize accepts S256 only, so the verifier's SHA-256 must be the challenge. */
function checkCodeVerifier(fields: Record<string, string>, code: AuthorizationCode, client: string): void {
  if (code.codeChallenge === undefined) return;
  const verifier = fields.code_verifier;
  if (!verifier || base64urlSha256(verifier) !== code.codeChallenge) {
    throw new TokenEndpointError(
      'invalid_grant',
      URN.invalidCodeVerifier,
      'code_verifier does not match the code_challenge',
      client,
    );
  }
}

/** What the code stands for, without its own bookkeeping (tenant, redirect, challenge, use). */
function grantOfCode(code: AuthorizationCode): GrantContext {
  return {
    clientId: code.clientId,
    username: code.username,
    sessionId: code.sessionId,
    scopes: code.scopes,
    needPatientBanner: code.needPatientBanner,
    ...(code.patientId !== undefined ? { patientId: code.patientId } : {}),
    ...(code.encounterId !== undefined ? { encounterId: code.encounterId } : {}),
    ...(code.nonce !== undefined ? { nonce: code.nonce } : {}),
  };
}

export async function authorizationCodeGrant(
  ctx: SandboxContext,
  fields: Record<string, string>,
  app: SandboxAppRegistration,
  tenant: string,
): Promise<TokenResponseBody> {
  const code = redeemCode(ctx, fields, app.clientId, tenant);
  checkRedirectUri(fields, code, app.clientId);
  checkCodeVerifier(fields, code, app.clientId);
  return tokenResponse(ctx, grantOfCode(code), app, true);
}
