/**
 * The token endpoint of a profile server: a form body, one client authentication, then the
 * authorization_code or refresh_token grant (RFC 6749 4.1.3 and 6, SMART App Launch 2.2
 * "Obtain access token" and "Refresh access token"). Errors are `{error, error_description}`.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { formBody, requestPath } from './forms.ts';
import { authenticateProfileClient } from './profile-client-auth.ts';
import { ProfileTokenError } from './profile-errors.ts';
import { accessFields, codeResponse, idToken, type ProfileTokenBody } from './profile-token-response.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import { splitScope } from './scopes.ts';
import type { GrantContext } from './state.ts';
import { answerWithFault, setTokenHeaders } from './token-http.ts';

const GRANTS_NOT_IMITATED = [
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
];

/** Form-encoded, no repeated parameters (RFC 6749 3.2). */
function profileForm(request: FastifyRequest): Record<string, string> {
  const form = formBody(request);
  if (!form)
    throw new ProfileTokenError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  if (form.repeated.length > 0)
    throw new ProfileTokenError('invalid_request', `repeated parameters: ${form.repeated.join(', ')}`);
  return form.fields;
}

/**
 * The form of a request to the token, revocation or introspection endpoint, and the client that
 * authenticated it there (an assertion's `aud` is the URL the request went to).
 */
export async function authenticatedForm(
  ctx: SandboxContext,
  server: ProfileServer,
  request: FastifyRequest,
): Promise<{ client: ProfileClient; fields: Record<string, string> }> {
  const fields = profileForm(request);
  const endpointUrl = `${ctx.urls.origin}${requestPath(request)}`;
  const { client } = await authenticateProfileClient(
    ctx,
    server,
    request.headers.authorization,
    fields,
    endpointUrl,
  );
  return { client, fields };
}

export function sendProfileError(reply: FastifyReply, error: ProfileTokenError): FastifyReply {
  return reply.code(error.status).send({ error: error.error, error_description: error.description });
}

const invalidGrant = (description: string) => new ProfileTokenError('invalid_grant', description);

async function authorizationCode(
  ctx: SandboxContext,
  server: ProfileServer,
  fields: Record<string, string>,
  client: ProfileClient,
): Promise<ProfileTokenBody> {
  if (!fields.code) throw new ProfileTokenError('invalid_request', 'code is missing');
  // Taken for good before the checks: a code presented wrongly cannot be tried again.
  const code = ctx.state.redeemCode(fields.code);
  if (!code || code.tenant !== server.id) throw invalidGrant('the code is unknown, used or expired');
  if (code.clientId !== client.clientId) throw invalidGrant('the code was issued to another client');
  if (fields.redirect_uri !== code.redirectUri)
    throw invalidGrant('redirect_uri differs from the one sent at authorize');
  if (code.codeChallenge !== undefined) {
    const verifier = fields.code_verifier ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge)
      throw invalidGrant('code_verifier does not match the code_challenge');
  }
  const {
    code: _code,
    tenant: _tenant,
    redirectUri: _redirect,
    codeChallenge: _challenge,
    state,
    createdAt: _at,
    used: _used,
    ...grant
  } = code;
  return codeResponse(ctx, server, { ...grant, server: server.id }, client, state);
}

/** A narrower `scope` on refresh (SMART only): every asked scope must have been granted. */
function refreshScopes(server: ProfileServer, fields: Record<string, string>, granted: string[]): string[] {
  if (!server.policy.narrowsOnRefresh || fields.scope === undefined) return granted;
  const asked = splitScope(fields.scope);
  if (asked.length === 0 || asked.some((scope) => !granted.includes(scope)))
    throw new ProfileTokenError('invalid_scope', 'a refresh may only ask for scopes already granted');
  return asked;
}

async function refreshToken(
  ctx: SandboxContext,
  server: ProfileServer,
  fields: Record<string, string>,
  client: ProfileClient,
): Promise<ProfileTokenBody> {
  const grant = fields.refresh_token ? ctx.state.refreshGrant(fields.refresh_token) : undefined;
  if (!grant || grant.revoked || grant.server !== server.id || grant.clientId !== client.clientId)
    throw invalidGrant('the refresh token is unknown, revoked or belongs to another client');
  // online_access lives as long as the user's session (SMART App Launch 2.2, "online_access").
  if (!grant.offline && !ctx.state.activeSession(grant.sessionId))
    throw invalidGrant('the user session of this online refresh token ended');
  grant.lastUsedAt = ctx.clock.nowMs();
  const context: GrantContext = { ...grant, scopes: refreshScopes(server, fields, grant.scopes) };
  const body = accessFields(ctx, server, context);
  Object.assign(body, server.policy.refreshFields(context, server));
  if (server.policy.idTokenOnRefresh && context.scopes.includes('openid'))
    body.id_token = await idToken(ctx, server, context);
  if (server.policy.rotatesRefreshTokens) {
    grant.revoked = true;
    body.refresh_token = ctx.state.createRefreshGrant(
      grant,
      grant.offline,
      server.policy.opaque('refresh_token'),
    ).token;
  }
  return body;
}

export function profileTokenHandlers(ctx: SandboxContext, server: ProfileServer) {
  return {
    async token(request: FastifyRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      const serverError = () => ({
        error: 'server_error',
        error_description: 'the token "http_500" fault is on',
      });
      if (await answerWithFault(ctx, reply, serverError)) return reply;
      try {
        const { client, fields } = await authenticatedForm(ctx, server, request);
        if (fields.grant_type === 'authorization_code')
          return reply.send(await authorizationCode(ctx, server, fields, client));
        if (fields.grant_type === 'refresh_token')
          return reply.send(await refreshToken(ctx, server, fields, client));
        const note = GRANTS_NOT_IMITATED.includes(fields.grant_type ?? '') ? ' by the local sandbox' : '';
        throw new ProfileTokenError('unsupported_grant_type', `this grant_type is not supported${note}`);
      } catch (error) {
        if (error instanceof ProfileTokenError) return sendProfileError(reply, error);
        throw error;
      }
    },
  };
}
