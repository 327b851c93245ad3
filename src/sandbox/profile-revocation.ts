/**
 * Revocation (RFC 7009) and introspection (RFC 7662, as SMART App Launch 2.2 "Token
 * Introspection" profiles it) of the SMART profile. The client authenticates as at the token
 * endpoint; revoking an unknown token, or another client's, still answers 200 (RFC 7009 2.2).
 * A revoked refresh token stops working at once, a revoked access token at the FHIR server too.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { ProfileTokenError } from './profile-errors.ts';
import { authenticatedForm, sendProfileError } from './profile-token.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import { setTokenHeaders } from './token-http.ts';

export function profileRevocationHandlers(ctx: SandboxContext, server: ProfileServer) {
  async function authenticated(request: FastifyRequest): Promise<{ client: ProfileClient; token: string }> {
    const { client, fields } = await authenticatedForm(ctx, server, request);
    if (!fields.token) throw new ProfileTokenError('invalid_request', 'token is missing');
    return { client, token: fields.token };
  }

  /** An access token this server issued to this client, still valid. */
  function liveAccessToken(token: string, client: ProfileClient) {
    const issued = ctx.state.accessToken(token);
    if (!issued || issued.audience !== server.urls.fhir || issued.clientId !== client.clientId)
      return undefined;
    return issued.expiresAt > ctx.clock.nowMs() ? issued : undefined;
  }

  return {
    async revoke(request: FastifyRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      try {
        const { client, token } = await authenticated(request);
        const grant = ctx.state.refreshGrant(token);
        if (grant && grant.server === server.id && grant.clientId === client.clientId) grant.revoked = true;
        if (liveAccessToken(token, client)) ctx.state.revokeAccessToken(token);
        return reply.code(200).send();
      } catch (error) {
        if (error instanceof ProfileTokenError) return sendProfileError(reply, error);
        throw error;
      }
    },

    async introspect(request: FastifyRequest, reply: FastifyReply) {
      setTokenHeaders(reply);
      try {
        const { client, token } = await authenticated(request);
        const issued = liveAccessToken(token, client);
        if (!issued) return reply.send({ active: false });
        return reply.send({
          active: true,
          scope: server.policy.echoedScopes(issued.scopes).join(' '),
          client_id: issued.clientId,
          exp: Math.floor(issued.expiresAt / 1000),
          ...(issued.patientId !== undefined ? { patient: issued.patientId } : {}),
          ...(issued.encounterId !== undefined ? { encounter: issued.encounterId } : {}),
        });
      } catch (error) {
        if (error instanceof ProfileTokenError) return sendProfileError(reply, error);
        throw error;
      }
    },
  };
}
