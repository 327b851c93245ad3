/**
 * Sign-in and sign-out. Failures answer the same whether or not the email exists (same message,
 * same scrypt work), and count towards the email's lockout.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import type { Services } from '../services.ts';
import { csrfRefusal } from './console-errors.ts';
import { redirectAfterPost, safeNext, sendPage } from './console-http.ts';
import { CSRF_FIELD, SIGN_IN_COOKIE, signInCsrf } from './csrf.ts';
import { findOperatorByEmail, normalizeEmail } from './operators.ts';
import { dummyPasswordHash, PASSWORD_MAX_LENGTH, verifyPassword } from './passwords.ts';
import type { SignInForm, SignInQuery } from './schemas.ts';
import { cookieOptions, sessionCookieOptions, sessionOf } from './session-guard.ts';
import {
  createSession,
  deleteSession,
  loadSession,
  purgeExpiredSessions,
  SESSION_COOKIE,
} from './sessions.ts';
import { clearFailures, FAILURES_BEFORE_LOCK, lockedUntil, recordFailure } from './sign-in-throttle.ts';
import { signInPage } from './views/sign-in.ts';

const WRONG_CREDENTIALS = 'That email and password do not match an operator account.';
/** The sign-in form's CSRF cookie outlives any reasonable time spent on the form. */
const SIGN_IN_COOKIE_MS = 2 * 60 * 60 * 1000;

export const operatorActor = (email: string) => `operator:${email}`;

export function signInHandlers(services: Services) {
  const { db, config } = services;
  const csrf = signInCsrf(config.masterKey);

  function freshForm(reply: FastifyReply): string {
    const nonce = csrf.newNonce();
    reply.setCookie(SIGN_IN_COOKIE, nonce, cookieOptions(config, SIGN_IN_COOKIE_MS));
    return csrf.tokenFor(nonce);
  }

  return {
    async show(request: FastifyRequest<{ Querystring: SignInQuery }>, reply: FastifyReply) {
      const next = safeNext(request.query.next);
      if (await loadSession(db, request.cookies[SESSION_COOKIE])) {
        return redirectAfterPost(reply, next ?? '/admin');
      }
      const signedOut = request.query.signed_out === '1';
      return sendPage(
        reply,
        200,
        signInPage({
          csrfToken: freshForm(reply),
          email: '',
          next,
          notice: signedOut ? 'You are signed out.' : undefined,
        }),
      );
    },

    async submit(request: FastifyRequest<{ Body: SignInForm }>, reply: FastifyReply) {
      const form = request.body;
      const nonce = request.cookies[SIGN_IN_COOKIE];
      if (!csrf.verify(nonce, form[CSRF_FIELD])) throw csrfRefusal();
      const typedEmail = (form.email ?? '').slice(0, 254);
      const email = normalizeEmail(typedEmail);
      const password = form.password ?? '';
      const next = safeNext(form.next);
      const again = (status: number, error: string) =>
        sendPage(reply, status, signInPage({ csrfToken: freshForm(reply), email: typedEmail, next, error }));

      if (!email || !password) return again(400, 'Enter your email and password.');
      const locked = await lockedUntil(db, email);
      if (locked) return lockedOut(reply, locked, again);

      const operator = await findOperatorByEmail(db, email);
      const passwordOk =
        password.length <= PASSWORD_MAX_LENGTH &&
        (await verifyPassword(password, operator?.password_hash ?? (await dummyPasswordHash())));
      if (!operator || !passwordOk) {
        const failure = await recordFailure(db, email);
        if (operator) {
          await recordAudit(db, {
            action: 'operator.sign_in_failed',
            actor: operatorActor(operator.email),
            orgId: operator.org_id,
            requestId: request.id,
            details: { failures: failure.failures, locked: failure.lockedUntil !== null },
          });
        }
        if (failure.lockedUntil) return lockedOut(reply, failure.lockedUntil, again);
        const left = FAILURES_BEFORE_LOCK - failure.failures;
        return again(
          401,
          left <= 2
            ? `${WRONG_CREDENTIALS} ${left} more ${left === 1 ? 'try' : 'tries'} before sign-in is paused for this email.`
            : WRONG_CREDENTIALS,
        );
      }

      await clearFailures(db, email);
      await purgeExpiredSessions(db);
      // Always a new session id at sign-in (no fixation).
      const { token } = await createSession(db, operator.id);
      await db
        .updateTable('operator')
        .set({ last_sign_in_at: new Date().toISOString() })
        .where('id', '=', operator.id)
        .execute();
      await recordAudit(db, {
        action: 'operator.signed_in',
        actor: operatorActor(operator.email),
        orgId: operator.org_id,
        requestId: request.id,
      });
      reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(config));
      reply.clearCookie(SIGN_IN_COOKIE, cookieOptions(config));
      return redirectAfterPost(reply, next ?? '/admin');
    },

    async signOut(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      await deleteSession(db, session.idHash);
      await recordAudit(db, {
        action: 'operator.signed_out',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
      });
      reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
      return redirectAfterPost(reply, '/admin/sign-in?signed_out=1');
    },
  };
}

function lockedOut(
  reply: FastifyReply,
  until: Date,
  again: (status: number, error: string) => FastifyReply,
): FastifyReply {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  const minutes = Math.ceil(seconds / 60);
  reply.header('retry-after', String(seconds));
  return again(
    429,
    `Too many failed sign-ins for this email. Sign-in is paused; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
  );
}
