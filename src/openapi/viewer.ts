/**
 * `/docs/api`: the OpenAPI document in Swagger UI, bundled from the `swagger-ui-dist` package and
 * served by us (no CDN, nothing fetched from elsewhere at run time).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { html } from '../html/escape.ts';

const require = createRequire(import.meta.url);
const DIST = dirname(require.resolve('swagger-ui-dist/package.json'));

export const VIEWER_PATH = '/docs/api';

export interface ViewerAsset {
  readonly type: string;
  readonly body: Buffer | string;
}

/** The viewer's files, read once. The start script is ours: the page runs no inline script. */
export function viewerAssets(documentUrl: string): Record<string, ViewerAsset> {
  const file = (name: string, type: string) => ({ type, body: readFileSync(join(DIST, name)) });
  return {
    'swagger-ui-bundle.js': file('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
    'swagger-ui.css': file('swagger-ui.css', 'text/css; charset=utf-8'),
    'start.js': {
      type: 'text/javascript; charset=utf-8',
      body: `window.ui = SwaggerUIBundle(${JSON.stringify({ url: documentUrl, dom_id: '#api' })});\n`,
    },
  };
}

export function viewerPage(): string {
  return html`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Chartside API</title>
  <link rel="stylesheet" href="${VIEWER_PATH}/assets/swagger-ui.css">
</head>
<body>
  <div id="api"></div>
  <script src="${VIEWER_PATH}/assets/swagger-ui-bundle.js"></script>
  <script src="${VIEWER_PATH}/assets/start.js"></script>
</body>
</html>`.toString();
}
