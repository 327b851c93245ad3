/**
 * Discovery documents (S3): SMART configuration in Cerner's 2026 shape (docs/cerner.md §2),
 * the CapabilityStatement with the oauth-uris extension (docs/cerner.md §2), the OIDC discovery
 * document (docs/cerner.md §6), the JWKS (docs/cerner.md §6) and the SMART style file.
 */

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CapabilityStatement } from 'fhir/r4.js';
import type { SandboxContext } from './context.ts';
import { FIXTURE_LAST_UPDATED } from './data.ts';
import { restResource, SUPPORTED_TYPES } from './fhir-capabilities.ts';
import { acceptsFhirJson, operationOutcome, sendFhir } from './fhir-outcomes.ts';

type TenantRequest = FastifyRequest<{ Params: { tenant: string } }>;

/** The capability list exactly as captured live in 2026 (docs/cerner.md §2). */
const CAPABILITIES = [
  'authorize-post',
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'client-confidential-asymmetric',
  'client-confidential-symmetric',
  'sso-openid-connect',
  'context-banner',
  'context-style',
  'context-ehr-patient',
  'context-ehr-encounter',
  'permission-patient',
  'permission-user',
  'permission-offline',
  'permission-online',
  'permission-v1',
  'permission-v2',
  'health-cards',
];

function scopesSupported(): string[] {
  const scopes = ['fhirUser', 'launch', 'offline_access', 'online_access', 'openid', 'profile'];
  for (const type of SUPPORTED_TYPES) {
    for (const context of ['patient', 'user', 'system']) {
      scopes.push(`${context}/${type}.read`, `${context}/${type}.rs`);
    }
  }
  return scopes;
}

export function smartConfiguration(ctx: SandboxContext): Record<string, unknown> {
  const { urls } = ctx;
  return {
    issuer: urls.issuer,
    authorization_endpoint: urls.authorize(),
    token_endpoint: urls.hostsToken(),
    revocation_endpoint: urls.revoke(),
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    jwks_uri: urls.jwks,
    grant_types_supported: ['authorization_code', 'client_credentials'],
    scopes_supported: scopesSupported(),
    response_types_supported: ['code'],
    management_endpoint: urls.management(),
    introspection_endpoint: urls.introspection,
    capabilities: CAPABILITIES,
    code_challenge_methods_supported: ['S256'],
  };
}

export function capabilityStatement(ctx: SandboxContext): CapabilityStatement {
  const { urls } = ctx;
  return {
    resourceType: 'CapabilityStatement',
    name: 'OracleHealthCapabilityStatement',
    title: 'Oracle Health Capability Statement',
    status: 'active',
    date: FIXTURE_LAST_UPDATED,
    publisher: 'Oracle Health',
    kind: 'instance',
    instantiates: [
      'http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server',
      'http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data',
    ],
    software: { name: 'Oracle Health Millennium Platform (local sandbox)' },
    implementation: { description: 'Oracle Health Millennium FHIR R4, local sandbox', url: urls.fhirBase },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    patchFormat: ['application/json-patch+json'],
    rest: [
      {
        mode: 'server',
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'token', valueUri: urls.hostsToken() },
                { url: 'revoke', valueUri: urls.revoke() },
                { url: 'authorize', valueUri: urls.authorize() },
                { url: 'manage', valueUri: urls.management() },
                { url: 'introspect', valueUri: urls.introspection },
              ],
            },
          ],
          cors: true,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
              text: 'OAuth',
            },
          ],
        },
        resource: SUPPORTED_TYPES.map(restResource),
      },
    ],
  };
}

export function discoveryHandlers(ctx: SandboxContext) {
  return {
    async smartConfiguration(request: TenantRequest, reply: FastifyReply) {
      reply.header('access-control-allow-origin', '*');
      if (request.params.tenant !== ctx.tenant || ctx.faults.current.smart_configuration === 'not_found') {
        return reply
          .code(404)
          .type('application/json')
          .send(JSON.stringify({ error: 'not_found' }));
      }
      return reply.type('application/json').send(JSON.stringify(smartConfiguration(ctx)));
    },

    async metadata(request: TenantRequest, reply: FastifyReply) {
      if (!acceptsFhirJson(request.headers.accept)) return reply.code(406).send();
      if (request.params.tenant !== ctx.tenant) {
        return sendFhir(reply, 403, operationOutcome('forbidden', 'Tenant not valid or accessible'));
      }
      return sendFhir(reply, 200, capabilityStatement(ctx));
    },

    async openidConfiguration(
      request: FastifyRequest<{ Params: { tenant: string; idsp: string } }>,
      reply: FastifyReply,
    ) {
      const { tenant, idsp } = request.params;
      if (tenant !== ctx.tenant || idsp !== ctx.tenant) return reply.code(404).send({ error: 'not_found' });
      const { urls } = ctx;
      return reply.header('access-control-allow-origin', '*').send({
        issuer: urls.oidcIssuer,
        authorization_endpoint: urls.authorize(),
        token_endpoint: urls.hostsToken(),
        jwks_uri: urls.jwks,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'fhirUser', 'profile'],
        claims_supported: ['sub', 'aud', 'iss', 'name', 'iat', 'exp', 'fhirUser', 'profile'],
      });
    },

    async jwks(_request: FastifyRequest, reply: FastifyReply) {
      return reply.header('access-control-allow-origin', '*').send(ctx.keys.jwks());
    },

    /** A minimal SMART style file (S6): the token response's `smart_style_url` points here. */
    async smartStyle(_request: FastifyRequest, reply: FastifyReply) {
      return reply.header('access-control-allow-origin', '*').send({
        color_background: '#edeae3',
        color_error: '#9e2d2d',
        color_highlight: '#69b5ce',
        color_modal_backdrop: '',
        color_success: '#498e49',
        color_text: '#303030',
        dim_border_radius: '6px',
        dim_font_size: '13px',
        dim_spacing_size: '20px',
        font_family_body: 'Georgia, Times, serif',
        font_family_heading: "'HelveticaNeue-Light', Helvetica, Arial, 'Lucida Grande', sans-serif",
      });
    },
  };
}
