/**
 * The token endpoint (S5) at both the plain and the `hosts/{fhirHost}` URL, with
 * `{error, error_uri}` errors (docs/cerner.md §8). One request, in steps: read and check the
 * request, authenticate the client (client-auth.ts), run its grant (`grant-*.ts`:
 * authorization_code, refresh_token, client_credentials), whose answer token-response.ts builds.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuthenticatedClient, authenticateClient } from './client-auth.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { requestPath } from './forms.ts';
import { authorizationCodeGrant } from './grant-authorization-code.ts';
import { clientCredentialsGrant } from './grant-client-credentials.ts';
import { refreshTokenGrant } from './grant-refresh-token.ts';
import { answerWithFault, requireForm, sendTokenError, setTokenHeaders } from './token-http.ts';
import type { TokenResponseBody } from './token-response.ts';

type TokenRequest = FastifyRequest<{ Params: { tenant: string; host?: string; profile: string } }>;

interface CheckedTokenRequest {
  tenant: string;
  fields: Record<string, string>;
  /** The absolute URL the request was posted to: a client assertion's `aud` must be exactly it. */
  endpointUrl: string;
}

/** The URL names our tenant, a SMART profile and (hosts/ variant) our FHIR host; the body is a form. */
function readTokenRequest(ctx: SandboxContext, request: TokenRequest): CheckedTokenRequest {
  const { tenant, host, profile } = request.params;
  const knownProfile = profile === 'smart-v1' || profile === 'smart-v2';
  if (tenant !== ctx.tenant || !knownProfile || (host !== undefined && host !== ctx.urls.host)) {
    throw new TokenEndpointError(
      'invalid_request',
      URN.tokenInvalidRequest,
      'unknown tenant, profile or FHIR host in the token URL',
    );
  }
  const { fields } = requireForm(request);
  return { tenant, fields, endpointUrl: `${ctx.urls.origin}${requestPath(request)}` };
}

function runGrant(
  ctx: SandboxContext,
  fields: Record<string, string>,
  client: AuthenticatedClient,
  tenant: string,
): Promise<TokenResponseBody> {
  switch (fields.grant_type) {
    case 'authorization_code':
      return authorizationCodeGrant(ctx, fields, client.app, tenant);
    case 'refresh_token':
      return refreshTokenGrant(ctx, fields, client.app);
    case 'client_credentials':
      return clientCredentialsGrant(ctx, fields, client);
    default:
      throw new TokenEndpointError(
        'unsupported_grant_type',
        URN.unsupportedGrantType,
        `grant_type "${fields.grant_type ?? ''}" is not supported`,
        client.app.clientId,
      );
  }
}

export function tokenHandlers(ctx: SandboxContext) {
  return {
    async token(request: TokenRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      if (await answerWithFault(ctx, reply)) return reply;
      try {
        const { tenant, fields, endpointUrl } = readTokenRequest(ctx, request);
        const client = await authenticateClient(ctx, request.headers.authorization, fields, endpointUrl);
        return reply.send(await runGrant(ctx, fields, client, tenant));
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
