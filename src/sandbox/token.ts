/**
 * The token endpoint (S5) at both the plain and the `hosts/{fhirHost}` URL: authorization_code,
 * refresh_token (no new refresh token, Cerner style, unless rotation is switched on) and
 * client_credentials, with Cerner's
 * response fields (docs/cerner.md §5 (fields), §8 (errors)) and `{error, error_uri}` errors (docs/cerner.md §8).
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthenticatedClient, authenticateClient } from './client-auth.ts';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { findUser } from './data.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { requestPath } from './forms.ts';
import { parseResourceScope, splitScope } from './scopes.ts';
import { type GrantContext, OFFLINE_IDLE_LIMIT_MS } from './state.ts';
import { answerWithFault, requireForm, sendTokenError, setTokenHeaders } from './token-http.ts';

type TokenRequest = FastifyRequest<{ Params: { tenant: string; host?: string; profile: string } }>;

function base64urlSha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export function tokenHandlers(ctx: SandboxContext) {
  async function tokenResponse(grant: GrantContext, app: SandboxAppRegistration, withRefresh: boolean) {
    const user = findUser(grant.username);
    const body: Record<string, unknown> = {
      access_token: await ctx.minter.accessToken(grant, app),
      token_type: 'Bearer',
      expires_in: ctx.accessTokenLifetimeSeconds - 30,
      scope: grant.scopes.join(' '),
    };
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
    if (withRefresh && (online || offline)) {
      body.refresh_token = ctx.state.createRefreshGrant(grant, offline).token;
    }
    return body;
  }

  async function authorizationCodeGrant(
    fields: Record<string, string>,
    app: SandboxAppRegistration,
    tenant: string,
  ) {
    const client = app.clientId;
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
    // Sent at authorize: must be identical here. Omitted there: must be omitted here (4.2).
    if (fields.redirect_uri !== code.redirectUri) {
      const detail =
        code.redirectUri === undefined
          ? 'redirect_uri was not sent at authorize, so it must be omitted'
          : 'redirect_uri differs from the one sent at authorize';
      throw new TokenEndpointError('invalid_grant', URN.tokenInvalidRedirectUri, detail, client);
    }
    if (code.codeChallenge !== undefined) {
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
    const grant: GrantContext = {
      clientId: code.clientId,
      username: code.username,
      sessionId: code.sessionId,
      scopes: code.scopes,
      needPatientBanner: code.needPatientBanner,
      ...(code.patientId !== undefined ? { patientId: code.patientId } : {}),
      ...(code.encounterId !== undefined ? { encounterId: code.encounterId } : {}),
      ...(code.nonce !== undefined ? { nonce: code.nonce } : {}),
    };
    return tokenResponse(grant, app, true);
  }

  async function refreshTokenGrant(fields: Record<string, string>, app: SandboxAppRegistration) {
    const client = app.clientId;
    const grant = fields.refresh_token ? ctx.state.refreshGrant(fields.refresh_token) : undefined;
    const now = ctx.clock.nowMs();
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
    grant.lastUsedAt = now;
    if (!ctx.rotateRefreshTokens) return tokenResponse(grant, app, false);
    // Rotation: the answer carries a new refresh token and the presented one stops working.
    grant.revoked = true;
    const body = await tokenResponse(grant, app, false);
    body.refresh_token = ctx.state.createRefreshGrant(grant, grant.offline).token;
    return body;
  }

  /** S5 client_credentials: system/ scopes only, registered, no wildcards. */
  async function clientCredentialsGrant(fields: Record<string, string>, client: AuthenticatedClient) {
    const { app } = client;
    if (client.method === 'none') {
      throw new TokenEndpointError(
        'unauthorized_client',
        URN.invalidRequest,
        'public clients cannot use client_credentials',
        app.clientId,
      );
    }
    const scopes = splitScope(fields.scope);
    const registered = new Set(app.scopes);
    const valid = scopes.every((scope) => {
      const parsed = parseResourceScope(scope);
      return parsed?.context === 'system' && !parsed.wildcard && registered.has(scope);
    });
    if (scopes.length === 0)
      throw new TokenEndpointError('invalid_scope', URN.emptyScopes, 'no scope requested', app.clientId);
    if (!valid) {
      throw new TokenEndpointError(
        'invalid_scope',
        URN.emptyScopes,
        'only registered system/ scopes are allowed',
        app.clientId,
      );
    }
    const grant: GrantContext = {
      clientId: app.clientId,
      username: app.clientId,
      sessionId: '',
      scopes: [...new Set(scopes)].sort(),
      needPatientBanner: false,
    };
    return {
      access_token: await ctx.minter.accessToken(grant, app),
      token_type: 'Bearer',
      expires_in: ctx.accessTokenLifetimeSeconds - 30,
      scope: grant.scopes.join(' '),
    };
  }

  return {
    async token(request: TokenRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      if (await answerWithFault(ctx, reply)) return reply;
      const { tenant, host, profile } = request.params;
      try {
        const knownProfile = profile === 'smart-v1' || profile === 'smart-v2';
        if (tenant !== ctx.tenant || !knownProfile || (host !== undefined && host !== ctx.urls.host)) {
          throw new TokenEndpointError(
            'invalid_request',
            URN.tokenInvalidRequest,
            'unknown tenant, profile or FHIR host in the token URL',
          );
        }
        const { fields } = requireForm(request);
        const endpointUrl = `${ctx.urls.origin}${requestPath(request)}`;
        const client = await authenticateClient(ctx, request.headers.authorization, fields, endpointUrl);
        const { app } = client;
        switch (fields.grant_type) {
          case 'authorization_code':
            return reply.send(await authorizationCodeGrant(fields, app, tenant));
          case 'refresh_token':
            return reply.send(await refreshTokenGrant(fields, app));
          case 'client_credentials':
            return reply.send(await clientCredentialsGrant(fields, client));
          default:
            throw new TokenEndpointError(
              'unsupported_grant_type',
              URN.unsupportedGrantType,
              `grant_type "${fields.grant_type ?? ''}" is not supported`,
              app.clientId,
            );
        }
      } catch (error) {
        if (error instanceof TokenEndpointError) return sendTokenError(ctx, reply, error);
        throw error;
      }
    },

    async preflight(_request: FastifyRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      return reply.code(200).send();
    },
  };
}
