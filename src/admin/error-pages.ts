/**
 * Errors inside /admin render as console pages (not the launch error page, not JSON): with
 * the navigation when the person is signed in, with a sign-in link when not. The gateway's one
 * error installer (errors/fastify.ts) calls these for the `console` surface.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestError } from '../errors/invalid-input.ts';
import { summarizeError } from '../logging.ts';
import { ConsoleRefusal } from './console-errors.ts';
import { sendPage } from './console-http.ts';
import { consoleErrorPage } from './views/errors.ts';

/** A thrown error: a console refusal (no session, CSRF) or anything the catalogue knows. */
export function renderConsoleError(
  thrown: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (thrown instanceof ConsoleRefusal) {
    request.log.info({ status: thrown.status, refusal: thrown.title }, 'console request refused');
    return render(request, reply, thrown.status, {
      title: thrown.title,
      message: thrown.message,
      requestId: request.id,
      signIn: !request.consoleSession,
    });
  }
  const error = requestError(thrown, request);
  const log = { code: error.code, status: error.status, err: summarizeError(thrown) };
  if (error.status >= 500) request.log.error(log, 'console request failed');
  else request.log.info(log, 'console request refused');
  if (error.status === 429) reply.header('retry-after', '60');
  return render(request, reply, error.status, {
    title:
      error.status === 404 ? 'Not found' : error.status >= 500 ? 'Something went wrong' : 'That did not work',
    message: error.message,
    code: error.code,
    requestId: request.id,
  });
}

/** An address under /admin that no console page answers. */
export function renderConsoleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return render(request, reply, 404, {
    title: 'Not found',
    message: 'There is no console page at this address.',
    code: 'route_not_found',
    requestId: request.id,
  });
}

function render(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  view: Parameters<typeof consoleErrorPage>[1],
): FastifyReply {
  return sendPage(reply, status, consoleErrorPage(request.consoleSession ?? null, view));
}
