/**
 * Which surface answers a request's errors (docs/architecture.md#errors): the one place that
 * decides, for route errors, unknown paths, router failures and requests refused on the socket.
 */
import type { FastifyRequest } from 'fastify';

/**
 * `api`: the API envelope. `html`: the error page of the browser-facing launch paths. `fhir`: an
 * OperationOutcome. `cds`: the envelope with a Bearer challenge on 401. `console`: the admin
 * console's own pages (admin/error-pages.ts).
 */
export type Surface = 'api' | 'html' | 'fhir' | 'cds' | 'console';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Which surface renders this route's errors, where its path would choose another (the
     * production `/admin/launch-debug` page lives under the console's path but is a launch page).
     */
    surface?: Surface;
  }
}

/**
 * Path subtrees and their surface: the prefix itself and everything under it (`/fhir`, `/fhir/…`,
 * `/fhir?…`), as the scopes registered with these prefixes route them. Anything else is the API.
 */
const SURFACE_OF_PREFIX: readonly [prefix: string, surface: Surface][] = [
  ['/fhir', 'fhir'],
  ['/api/cds', 'cds'],
  ['/admin', 'console'],
  ['/api/auth/smart', 'html'],
  ['/launch-debug', 'html'],
];

/**
 * The surface of a request: the matched route's `config.surface`, else the matched route's path
 * (the router decoded it, so `/%61dmin/…` cannot pass for another surface), else — an unknown path,
 * or a request the router or the HTTP parser refused — the request target.
 */
export function surfaceOf(request: FastifyRequest | string): Surface {
  if (typeof request === 'string') return surfaceOfPath(request);
  const route = request.routeOptions;
  return route.config?.surface ?? surfaceOfPath(route.url ?? request.url);
}

function surfaceOfPath(target: string): Surface {
  // An absolute-form target (`http://host/fhir/…`, RFC 9112 §3.2.2) is routed by its path.
  const path = decodeUnreserved(target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, ''));
  for (const [prefix, surface] of SURFACE_OF_PREFIX) {
    // The whole segment: `/fhirx` is not the FHIR proxy, while `/launch-debug<control byte>` (a
    // request line the parser refused) is still the launch-debug page's.
    if (path.startsWith(prefix) && !/^[\w\-.~%]/.test(path.slice(prefix.length))) return surface;
  }
  return 'api';
}

/**
 * `%61dmin` is `admin` (RFC 3986 §6.2.2.2), and the router matches it as such: decode the
 * unreserved characters so an unknown path is judged like the routes around it. Reserved ones
 * (`%2F`) stay encoded, as they do for the router.
 */
function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9a-f]{2})/gi, (encoded, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(character) ? character : encoded;
  });
}
