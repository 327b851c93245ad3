/**
 * Token revocation (RFC 7009, S6: revokes refresh tokens; access tokens stay valid until they
 * expire, as Cerner states), introspection (`/tokeninfo`, shape unverified per S6) and the
 * "manage authorizations" stub page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient } from './client-auth.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { formBody, requestPath } from './forms.ts';
import { html, page } from './html.ts';
import { requireForm, sendTokenError, setTokenHeaders } from './token-http.ts';

export function revocationHandlers(ctx: SandboxContext) {
  return {
    async revoke(request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) {
      setTokenHeaders(reply);
      try {
        if (request.params.tenant !== ctx.tenant) {
          throw new TokenEndpointError('invalid_request', URN.tokenInvalidRequest, 'unknown tenant');
        }
        const { fields } = requireForm(request);
        const endpointUrl = `${ctx.urls.origin}${requestPath(request)}`;
        const { app } = await authenticateClient(ctx, request.headers.authorization, fields, endpointUrl);
        if (!fields.token) {
          throw new TokenEndpointError(
            'invalid_request',
            URN.tokenInvalidRequest,
            'token is missing',
            app.clientId,
          );
        }
        const grant = ctx.state.refreshGrant(fields.token);
        // RFC 7009 2.2: unknown tokens (or another client's) still get 200.
        if (grant && grant.clientId === app.clientId) grant.revoked = true;
        return reply.code(200).send();
      } catch (error) {
        if (error instanceof TokenEndpointError) return sendTokenError(ctx, reply, error);
        throw error;
      }
    },

    async introspect(request: FastifyRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      const token = formBody(request)?.fields.token;
      const claims = token ? await ctx.minter.verifyAccessToken(token) : undefined;
      if (!claims) return reply.send({ active: false });
      const payload = claims as unknown as Record<string, unknown>;
      return reply.send({
        active: true,
        scope: claims['urn:com:cerner:authorization:claims'].azs,
        client_id: claims.azp,
        sub: claims.sub,
        exp: claims.exp,
        iat: payload.iat,
      });
    },

    async manage(
      request: FastifyRequest<{ Params: { tenant: string; persona: string } }>,
      reply: FastifyReply,
    ) {
      const body = page(
        'My Authorizations',
        'plain',
        html`<section class="card"><h1>My Authorizations</h1>
<p>Applications you have authorized for the ${request.params.persona} persona appear here on the real
system. The local sandbox keeps no list; relaunch an app to authorize it again.</p></section>`,
      );
      return reply.type('text/html; charset=utf-8').send(body);
    },
  };
}
