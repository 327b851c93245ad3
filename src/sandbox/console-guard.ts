/**
 * What every Code Console and Cerner Central handler shares: answering with a page, the 404
 * page in the console's look, and the two guards: a signed-in developer for pages that change
 * something, and for their POSTs also the session's CSRF token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ConsoleSession,
  consoleSessionOf,
  redirectToSignIn,
  takeNotice,
  validCsrf,
} from './console-session.ts';
import type { SandboxContext } from './context.ts';
import { formBody, requestPath } from './forms.ts';
import { messagePage } from './pages-auth.ts';
import type { ConsoleViewer } from './pages-form.ts';

export function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

export function consoleNotFound(reply: FastifyReply, message: string): FastifyReply {
  return sendHtml(reply, 404, messagePage('Not found', message, 'console'));
}

/** Who is looking, and this page's path (for Sign in to come back to). */
export function viewerOf(ctx: SandboxContext, request: FastifyRequest): ConsoleViewer {
  return { session: consoleSessionOf(ctx.consoleSessions, request), path: requestPath(request) };
}

/** The page's viewer and the one-shot notice of its session. */
export function viewerWithNotice(ctx: SandboxContext, request: FastifyRequest) {
  const viewer = viewerOf(ctx, request);
  return { viewer, notice: takeNotice(viewer.session) };
}

/** A GET that needs a signed-in developer: the session, or (having redirected to Sign in) none. */
export function signedIn(
  ctx: SandboxContext,
  request: FastifyRequest,
  reply: FastifyReply,
): ConsoleSession | undefined {
  const session = consoleSessionOf(ctx.consoleSessions, request);
  if (!session) redirectToSignIn(reply, requestPath(request));
  return session;
}

export interface CheckedPost {
  session: ConsoleSession;
  fields: Record<string, string>;
}

/**
 * A POST that changes something: a signed-in developer (else Sign in, then back to `returnTo`,
 * the page the form was on) and the session's CSRF token (else a 403 page, nothing changed).
 */
export function checkedPost(
  ctx: SandboxContext,
  request: FastifyRequest,
  reply: FastifyReply,
  returnTo: string,
): CheckedPost | undefined {
  const session = consoleSessionOf(ctx.consoleSessions, request);
  if (!session) {
    redirectToSignIn(reply, returnTo);
    return undefined;
  }
  const fields = formBody(request)?.fields ?? {};
  if (!validCsrf(session, fields)) {
    sendHtml(
      reply,
      403,
      messagePage(
        'Form expired',
        'This form is out of date. Go back, reload the page and try again.',
        'console',
      ),
    );
    return undefined;
  }
  return { session, fields };
}
