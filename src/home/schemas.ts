/** The front door, described (routes.ts wires it). */
import { Type } from 'typebox';
import { text } from '../http/schemas.ts';

const Links = Type.Object({
  console: Type.String({ description: 'The admin console.' }),
  health: Type.String(),
  jwks: Type.String({ description: 'Chartside’s JWKS URI (register it in the EHR).' }),
  launch_contexts: Type.String({ description: 'Where an app backend resolves `mb_launch` (API key).' }),
  code_consoles: Type.Array(Type.String(), {
    description: 'Development and test: the local Cerner sandboxes’ My Applications pages.',
  }),
  docs: Type.Array(Type.String(), { description: 'Development and test: the repository’s documents.' }),
});

export const homeSchema = {
  summary: 'The landing page: HTML for a browser, the same links as JSON for an API client',
  tags: ['Operations'],
  response: {
    200: {
      description: 'By `Accept`: `text/html` gets the page, anything else the JSON.',
      content: {
        'application/json': {
          schema: Type.Object({
            resource_type: Type.Literal('service'),
            name: Type.Literal('Chartside'),
            links: Links,
          }),
        },
        'text/html': { schema: Type.String() },
      },
    },
  },
} as const;

export const documentSchema = {
  summary: 'One of the repository’s documents as text (development and test only)',
  tags: ['Operations'],
  params: Type.Object({
    name: text(40, { description: 'README.md, guide.md, cerner.md or architecture.md' }),
  }),
  response: {
    200: { description: 'The Markdown source.', content: { 'text/plain': { schema: Type.String() } } },
  },
} as const;
