/**
 * The one error installer: route errors, unknown paths, router failures and requests refused on
 * the socket, each answered in the format of its surface (surface.ts decides which).
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderConsoleError, renderConsoleNotFound } from '../admin/error-pages.ts';
import { summarizeError } from '../logging.ts';
import { CSP } from '../security/csp.ts';
import { ChartsideError, toChartsideError } from './catalogue.ts';
import { requestError } from './invalid-input.ts';
import { renderApiError, renderFhirError, renderHtmlError } from './render.ts';
import { type Surface, surfaceOf } from './surface.ts';

/** Route handlers throw; this turns every error, and every unknown path, into its surface's answer. */
export function installErrorHandling(app: FastifyInstance): void {
  refuseConnectMethod(app);
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const surface = surfaceOf(request);
    if (surface === 'console') renderConsoleNotFound(request, reply);
    else send(reply, request, surface, toChartsideError({ statusCode: 404 }));
  });
}

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a path
 * parameter over the length limit): same renderers, chosen by the path, with our request id — never
 * Fastify's own body, which echoes the URL.
 */
export function handleFrameworkError(thrown: Error, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  answerError(thrown, request, reply);
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
  const surfaceOfTarget = surfaceOf(request.target);
  // No reply and no console session on a bare socket: the console's paths get the plain error page.
  const surface = surfaceOfTarget === 'console' ? 'html' : surfaceOfTarget;
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
    ...(surface === 'html' ? [`content-security-policy: ${CSP.errorPage}`] : []),
    'connection: close',
  ];
  // An answer to HEAD has no body (RFC 9110 §9.3.2), even when the request was malformed.
  const content = request.method.toUpperCase() === 'HEAD' ? '' : body;
  socket.end(`${headers.join('\r\n')}\r\n\r\n${content}`, () => socket.destroy());
}

/** A thrown error, logged, in the format of the request's surface. */
function answerError(thrown: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const surface = surfaceOf(request);
  if (surface === 'console') {
    // The console logs its own refusals too (a ConsoleRefusal is not a catalogue error).
    renderConsoleError(thrown, request, reply);
    return;
  }
  const error = requestError(thrown, request);
  logFailure(request, thrown, error, SUBJECT_OF[surface]);
  send(reply, request, surface, error);
}

/** What a log line calls the request, by surface. */
const SUBJECT_OF: Record<Exclude<Surface, 'console'>, string> = {
  api: 'request',
  html: 'request',
  fhir: 'FHIR request',
  cds: 'CDS request',
};

/** Server-side failures at error level, refusals of bad input at info; causes summarized, never bodies. */
function logFailure(request: FastifyRequest, thrown: unknown, error: ChartsideError, what: string): void {
  const log = { code: error.code, status: error.status, err: summarizeError(thrown) };
  if (error.status >= 500) request.log.error(log, `${what} failed`);
  else request.log.info(log, `${what} refused`);
}

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  surface: Exclude<Surface, 'console'>,
  error: ChartsideError,
): void {
  reply.status(error.status).header('cache-control', 'no-store');
  // The rate limiter sets the real wait; 60 s is the fallback for other throttles.
  if (error.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
  // CDS Hooks 2.0 §security: the EHR is told how to authenticate.
  if (surface === 'cds' && error.status === 401)
    reply.header('www-authenticate', 'Bearer error="invalid_token"');
  if (surface === 'html') {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP.errorPage)
      .send(renderHtmlError(error, request.id));
  } else if (surface === 'fhir') {
    reply.type('application/fhir+json; charset=utf-8').send(renderFhirError(error, request.id));
  } else {
    reply.type('application/json; charset=utf-8').send(renderApiError(error, request.id));
  }
}
