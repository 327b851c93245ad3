import type { FastifyInstance } from 'fastify';
import { CSP } from '../security/csp.ts';
import { openApiDocumentSchema, viewerAssetSchema, viewerPageSchema } from './schemas.ts';
import { VIEWER_PATH, viewerAssets, viewerPage } from './viewer.ts';

/** `GET /openapi.json` (registerOpenApi built it from the route schemas) and its viewer. */
export function openApiRoutes(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: openApiDocumentSchema }, async (_request, reply) => {
    reply.header('cache-control', 'no-cache').header('access-control-allow-origin', '*');
    return app.swagger();
  });

  const assets = viewerAssets('/openapi.json');
  const page = viewerPage();
  app.get(VIEWER_PATH, { schema: viewerPageSchema }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP.apiDocs)
      .header('cache-control', 'no-cache')
      .send(page),
  );
  app.get<{ Params: { file: string } }>(
    `${VIEWER_PATH}/assets/:file`,
    { schema: viewerAssetSchema },
    async (request, reply) => {
      const asset = assets[request.params.file];
      return reply
        .type(asset?.type ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=3600')
        .send(asset?.body);
    },
  );
}
