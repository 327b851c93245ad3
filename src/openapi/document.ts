/**
 * The OpenAPI 3.1 document, generated from the route schemas (each room's schemas.ts) by
 * @fastify/swagger as the routes register: nothing about the API is written twice. It describes
 * what apps and EHRs call; the console's pages and the development helpers are left out.
 * @see https://spec.openapis.org/oas/v3.1.0
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { API_VERSIONS } from '../api/versioning.ts';
import type { Config } from '../config/index.ts';

/** The tags the document shows, in this order; a route tagged otherwise is left out. */
export const DOCUMENTED_TAGS = [
  { name: 'Launch contexts', description: 'Resolve `mb_launch` and end a launch (API key).' },
  { name: 'FHIR', description: 'FHIR data of a launch, relayed to the EHR (API key).' },
  { name: 'Webhooks', description: 'Events sent to your endpoints (see the README).' },
  {
    name: 'EHR-facing',
    description: 'What the EHR calls: the SMART Launch URI, the Redirect URI, the JWKS URL.',
  },
  { name: 'CDS Hooks', description: 'The org-scoped CDS Hooks URL the EHR calls.' },
  { name: 'Operations', description: 'Health and readiness.' },
] as const;

const documented = new Set<string>(DOCUMENTED_TAGS.map((tag) => tag.name));

/** Routes whose schema carries these tags need an API key. */
const NEEDS_API_KEY = new Set(['Launch contexts', 'FHIR']);

/** Register before any route: the plugin collects each route as it is registered. */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Chartside',
        version: API_VERSIONS.at(-1) as string,
        description:
          'SMART on FHIR EHR-launch gateway. Apps resolve the `mb_launch` handle and read FHIR through Chartside with an API key; they never hold an EHR token. Errors share one envelope (`ApiError`); send `Version` to pin the API version.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: config.publicUrl }],
      tags: DOCUMENTED_TAGS.map((tag) => ({ ...tag })),
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key of the launch’s organization and environment (`cs_test_…` or `cs_live_…`).',
          },
        },
      },
    },
    // Shared schemas appear under their own names (`ApiError`), not `def-0`.
    refResolver: {
      buildLocalReference: (json, _base, _fragment, index) => String(json.$id ?? `def-${index}`),
    },
    transform: ({ schema, url }) => {
      const tags = ((schema as { tags?: string[] } | undefined)?.tags ?? []) as string[];
      const shown = tags.some((tag) => documented.has(tag));
      const security = tags.some((tag) => NEEDS_API_KEY.has(tag)) ? [{ apiKey: [] }] : undefined;
      return { schema: { ...schema, hide: !shown, ...(security && { security }) }, url };
    },
  });
}
