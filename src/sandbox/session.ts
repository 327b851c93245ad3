/**
 * The EHR sign-in session (the stand-in for Cerner's SSO): a cookie on the sandbox origin,
 * created by the Oracle Health login page (guide step 4) or by `POST /_test/launch`. Both the
 * launcher and the authorize endpoint read it; the launch is bound to its user (S4.9).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { findUser, INSTALLATION_ID } from './data.ts';
import { formBody, queryRecord } from './forms.ts';
import { loginPage, messagePage } from './pages-auth.ts';
import type { Session } from './state.ts';

export const SESSION_COOKIE = 'sandbox_session';
export const LOGIN_PATH = '/login';
const REMEMBER_ME_SECONDS = 30 * 24 * 3600;

export function currentSession(ctx: SandboxContext, request: FastifyRequest): Session | undefined {
  return ctx.state.activeSession(request.cookies[SESSION_COOKIE]);
}

/**
 * Only same-origin paths may be returned to after sign-in (no open redirect). Browsers drop tabs
 * and newlines and treat a backslash like a slash, so those are refused too.
 */
export function safeReturnTo(value: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const local = value !== undefined && /^\/(?![/\\])[^\\\u0000-\u001f\u007f]*$/.test(value);
  return local ? value : '/';
}

/** Sends the browser to the login page; after sign-in it comes back to `returnTo`. */
export function redirectToLogin(reply: FastifyReply, returnTo: string, username?: string): FastifyReply {
  const query = new URLSearchParams({ return_to: returnTo });
  if (username) query.set('username', username);
  return reply.redirect(`${LOGIN_PATH}?${query.toString()}`, 302);
}

export function sessionCookieOptions(ctx: SandboxContext, remember: boolean) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.urls.origin.startsWith('https:'),
    ...(remember ? { maxAge: REMEMBER_ME_SECONDS } : {}),
  };
}

function samePassword(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function loginHandlers(ctx: SandboxContext) {
  function render(reply: FastifyReply, status: number, fields: Record<string, string>, error?: string) {
    const body = loginPage({
      action: LOGIN_PATH,
      returnTo: safeReturnTo(fields.return_to),
      username: fields.username ?? '',
      installation: fields.installation ?? INSTALLATION_ID,
      ...(error ? { error } : {}),
    });
    return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
  }

  return {
    async showLogin(request: FastifyRequest, reply: FastifyReply) {
      return render(reply, 200, queryRecord(request));
    },

    async submitLogin(request: FastifyRequest, reply: FastifyReply) {
      const fields = formBody(request)?.fields ?? {};
      if (fields.action === 'cancel') {
        return reply
          .type('text/html; charset=utf-8')
          .send(
            messagePage(
              'Sign-in cancelled',
              'You cancelled the sign-in. You can close this window.',
              'login',
            ),
          );
      }
      const user = findUser(fields.username ?? '');
      if (!user?.password || !samePassword(fields.password ?? '', user.password)) {
        return render(reply, 401, fields, 'Invalid username or password.');
      }
      if ((fields.installation ?? '').trim().toUpperCase() !== INSTALLATION_ID) {
        return render(reply, 401, fields, `Unknown domain. Use ${INSTALLATION_ID}.`);
      }
      const session = ctx.state.createSession(user.username);
      reply.setCookie(SESSION_COOKIE, session.id, sessionCookieOptions(ctx, fields.remember === 'on'));
      return reply.redirect(safeReturnTo(fields.return_to), 303);
    },
  };
}
