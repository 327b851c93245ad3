/**
 * Discovery of a profile server: `.well-known/smart-configuration` as the profile's vendor
 * publishes it, `/metadata`, the OpenID configuration of its id_token issuer, the JWKS those
 * id_tokens are signed with, and the style document `smart_style_url` points at. All open to any
 * origin, as SMART App Launch 2.2 asks of discovery.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { acceptsFhirJson, sendFhir } from './fhir-outcomes.ts';
import type { ProfileServer } from './profile-types.ts';

function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('access-control-allow-origin', '*')
    .type('application/json')
    .send(JSON.stringify(body));
}

export function profileDiscoveryHandlers(ctx: SandboxContext, server: ProfileServer) {
  return {
    async smartConfiguration(_request: FastifyRequest, reply: FastifyReply) {
      if (ctx.faults.current.smart_configuration === 'not_found')
        return sendJson(reply, { error: 'not_found' }, 404);
      return sendJson(reply, server.policy.smartConfiguration(server));
    },

    async metadata(request: FastifyRequest, reply: FastifyReply) {
      if (!acceptsFhirJson(request.headers.accept)) return reply.code(406).send();
      return sendFhir(reply, 200, server.policy.capabilityStatement(server));
    },

    async openidConfiguration(_request: FastifyRequest, reply: FastifyReply) {
      return sendJson(reply, server.policy.openidConfiguration(server));
    },

    async jwks(_request: FastifyRequest, reply: FastifyReply) {
      return sendJson(reply, { keys: [(await server.idTokenKey()).publicJwk] });
    },

    async style(_request: FastifyRequest, reply: FastifyReply) {
      return sendJson(reply, server.policy.style);
    },
  };
}
