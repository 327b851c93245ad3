import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { summarizeError } from '../logging.ts';
import { type ChartsideError, toChartsideError } from './catalogue.ts';
import { renderApiError, renderFhirError, renderHtmlError, type Surface } from './render.ts';

/** Browser-facing paths whose unknown routes also get an HTML page. */
const HTML_PREFIXES = ['/api/auth/smart/', '/launch-debug'];

/** Route handlers throw; this turns every error into the right surface's body. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((thrown, request, reply) => {
    const error = toChartsideError(thrown);
    logFailure(request, thrown, error, 'request');
    send(reply, request, error.status, surfaceOf(request), error);
  });
  app.setNotFoundHandler((request, reply) => {
    const surface: Surface = HTML_PREFIXES.some((prefix) => request.url.startsWith(prefix)) ? 'html' : 'api';
    send(reply, request, 404, surface, toChartsideError({ statusCode: 404 }));
  });
}

/**
 * The FHIR proxy's scope renders its errors, unknown paths included, as OperationOutcome.
 * Call it inside the proxy's own (prefixed) plugin so the rest of the app keeps its envelope.
 */
export function installFhirErrorHandling(scope: FastifyInstance): void {
  scope.setErrorHandler((thrown, request, reply) => {
    const error = toChartsideError(thrown);
    logFailure(request, thrown, error, 'FHIR request');
    send(reply, request, error.status, 'fhir', error);
  });
  scope.setNotFoundHandler((request, reply) => {
    send(reply, request, 404, 'fhir', toChartsideError({ statusCode: 404 }));
  });
}

/**
 * The CDS Hooks relay's scope: the API envelope, unknown paths included, and a
 * `WWW-Authenticate: Bearer` challenge on 401 (CDS Hooks 2.0 §security).
 */
export function installCdsErrorHandling(scope: FastifyInstance): void {
  scope.setErrorHandler((thrown, request, reply) => {
    const error = toChartsideError(thrown);
    logFailure(request, thrown, error, 'CDS request');
    send(reply, request, error.status, 'cds', error);
  });
  scope.setNotFoundHandler((request, reply) => {
    send(reply, request, 404, 'cds', toChartsideError({ statusCode: 404 }));
  });
}

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a path
 * parameter over the length limit): same renderers, chosen by path, with our request id — never
 * Fastify's own body, which echoes the URL.
 */
export function handleFrameworkError(thrown: Error, request: FastifyRequest, reply: FastifyReply): void {
  const error = toChartsideError(thrown);
  logFailure(request, thrown, error, 'request');
  reply.header('x-request-id', request.id);
  send(reply, request, error.status, surfaceForPath(request.raw.url ?? ''), error);
}

/** Server-side failures at error level, refusals of bad input at info; causes summarized, never bodies. */
function logFailure(request: FastifyRequest, thrown: unknown, error: ChartsideError, what: string): void {
  const log = { code: error.code, status: error.status, err: summarizeError(thrown) };
  if (error.status >= 500) request.log.error(log, `${what} failed`);
  else request.log.info(log, `${what} refused`);
}

function surfaceForPath(url: string): Surface {
  if (url.startsWith('/fhir/')) return 'fhir';
  if (url.startsWith('/api/cds/')) return 'cds';
  if (HTML_PREFIXES.some((prefix) => url.startsWith(prefix)) || url.startsWith('/admin')) return 'html';
  return 'api';
}

function surfaceOf(request: FastifyRequest): Surface {
  return request.routeOptions.config?.surface ?? 'api';
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  surface: Surface,
  error: ChartsideError,
): void {
  reply.status(status).header('cache-control', 'no-store');
  if (error.status === 429) reply.header('retry-after', '60');
  if (surface === 'cds' && error.status === 401)
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
  if (surface === 'html') {
    reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'",
      )
      .send(renderHtmlError(error, request.id));
  } else if (surface === 'fhir') {
    reply.type('application/fhir+json; charset=utf-8').send(renderFhirError(error, request.id));
  } else {
    reply.type('application/json; charset=utf-8').send(renderApiError(error, request.id));
  }
}
