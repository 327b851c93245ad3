/** The API description's own routes (left out of the document they serve). */
import { Type } from 'typebox';
import { htmlPage, oneOf } from '../http/schemas.ts';

const hidden = { hide: true, tags: ['API description'] };

export const openApiDocumentSchema = {
  ...hidden,
  response: {
    200: Type.Unsafe<object>({
      type: 'object',
      additionalProperties: true,
      description: 'The OpenAPI 3.1 document.',
    }),
  },
} as const;

export const viewerPageSchema = {
  ...hidden,
  response: { 200: htmlPage('Swagger UI over /openapi.json.') },
} as const;

export const viewerAssetSchema = {
  ...hidden,
  params: Type.Object({ file: oneOf(['swagger-ui-bundle.js', 'swagger-ui.css', 'start.js']) }),
  response: {
    200: { description: 'A file of the viewer.', content: { 'text/plain': { schema: Type.String() } } },
  },
} as const;
