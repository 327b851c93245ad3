import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { summarizeError } from '../logging.ts';
import { ChartsideError, toChartsideError } from './catalogue.ts';
import { renderApiError, renderFhirError, renderHtmlError, type Surface } from './render.ts';

const HTML_ERROR_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'";

/** Browser-facing paths whose unknown routes also get an HTML page. */
const HTML_PREFIXES = ['/api/auth/smart/', '/launch-debug'];

/** Route handlers throw; this turns every error into the right surface's body. */
export function installErrorHandling(app: FastifyInstance): void {
  refuseConnectMethod(app);
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

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a control byte or raw non-ASCII
 * in the request line, a malformed header, headers over the size limit, a request too slow to
 * arrive): answered like every other error — the surface's format chosen by the path when the
 * request line was readable, a request id of ours — instead of Fastify's bare JSON, then the
 * connection is closed as Node does. Fastify binds `this` to the instance.
 */
export function handleClientError(this: FastifyInstance, thrown: ConnectionError, socket: Socket): void {
  if ((thrown.code as string) === 'ECONNRESET' || socket.destroyed) return;
  const error = new ChartsideError(
    thrown.code === 'HPE_HEADER_OVERFLOW'
      ? 'headers_too_large'
      : thrown.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'request_timeout'
        : 'bad_request',
    { cause: thrown },
  );
  const head = Buffer.isBuffer(thrown.rawPacket) ? thrown.rawPacket.toString('latin1') : '';
  const [, method = '', target = ''] = /^(\S+) (\S+)/.exec(head) ?? [];
  answerOnSocket(this, socket, error, { method, target }, 'request refused by the HTTP parser');
}

/**
 * `CONNECT` (a proxy tunnel request) never reaches the router: Node hands it to the server's
 * `connect` listener and, without one, drops the connection unanswered. We answer 405 instead.
 */
function refuseConnectMethod(app: FastifyInstance): void {
  app.server.on('connect', (request: IncomingMessage, socket: Socket) => {
    const error = new ChartsideError('method_not_allowed');
    answerOnSocket(app, socket, error, { method: 'CONNECT', target: request.url ?? '' }, 'CONNECT refused');
  });
}

/** An error answer written straight to a socket (no request object), then the connection closed. */
function answerOnSocket(
  app: FastifyInstance,
  socket: Socket,
  error: ChartsideError,
  request: { method: string; target: string },
  what: string,
) {
  const requestId = randomUUID();
  const log = { reqId: requestId, code: error.code, status: error.status, err: summarizeError(error.cause) };
  app.log.info(log, what);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const surface = surfaceForPath(request.target);
  const [type, body] =
    surface === 'html'
      ? ['text/html; charset=utf-8', renderHtmlError(error, requestId)]
      : surface === 'fhir'
        ? ['application/fhir+json; charset=utf-8', JSON.stringify(renderFhirError(error, requestId))]
        : ['application/json; charset=utf-8', JSON.stringify(renderApiError(error, requestId))];
  const headers = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}`,
    `content-type: ${type}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'x-content-type-options: nosniff',
    'cache-control: no-store',
    ...(surface === 'html' ? [`content-security-policy: ${HTML_ERROR_CSP}`] : []),
    'connection: close',
  ];
  // An answer to HEAD has no body (RFC 9110 §9.3.2), even when the request was malformed.
  const content = request.method.toUpperCase() === 'HEAD' ? '' : body;
  socket.end(`${headers.join('\r\n')}\r\n\r\n${content}`, () => socket.destroy());
}

/** Server-side failures at error level, refusals of bad input at info; causes summarized, never bodies. */
function logFailure(request: FastifyRequest, thrown: unknown, error: ChartsideError, what: string): void {
  const log = { code: error.code, status: error.status, err: summarizeError(thrown) };
  if (error.status >= 500) request.log.error(log, `${what} failed`);
  else request.log.info(log, `${what} refused`);
}

function surfaceForPath(target: string): Surface {
  // An absolute-form target (`http://host/fhir/…`, RFC 9112 §3.2.2) is routed by its path.
  const url = target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
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
  // The rate limiter sets the real wait; 60 s is the fallback for other throttles.
  if (error.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
  if (surface === 'cds' && error.status === 401)
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
  if (surface === 'html') {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', HTML_ERROR_CSP)
      .send(renderHtmlError(error, request.id));
  } else if (surface === 'fhir') {
    reply.type('application/fhir+json; charset=utf-8').send(renderFhirError(error, request.id));
  } else {
    reply.type('application/json; charset=utf-8').send(renderApiError(error, request.id));
  }
}
