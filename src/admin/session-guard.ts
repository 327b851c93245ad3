/**
 * The gate in front of every console page but sign-in: a live session, and on every POST the
 * session's CSRF token (form field or htmx header), compared in constant time.
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { ConsoleRefusal, csrfRefusal } from './console-errors.ts';
import { isHtmx, securityHeaders } from './console-http.ts';
import { CSRF_HEADER, presentedToken, tokenMatches } from './csrf.ts';
import { ABSOLUTE_TIMEOUT_MS, type ConsoleSession, loadSession, SESSION_COOKIE } from './sessions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's session guard on every signed-in request. */
    consoleSession: ConsoleSession | null;
  }
}

/** `HttpOnly; SameSite=Lax; Path=/admin`, and `Secure` unless the gateway is plain-http dev. */
export function cookieOptions(config: Pick<Config, 'publicUrl'>, maxAgeMs?: number): CookieSerializeOptions {
  return {
    path: '/admin',
    httpOnly: true,
    sameSite: 'lax',
    secure: !config.publicUrl.startsWith('http:'),
    ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
  };
}

export function sessionCookieOptions(config: Pick<Config, 'publicUrl'>): CookieSerializeOptions {
  return cookieOptions(config, ABSOLUTE_TIMEOUT_MS);
}

export function requireSession(db: Db, config: Pick<Config, 'publicUrl'>) {
  return async function requireConsoleSession(request: FastifyRequest, reply: FastifyReply) {
    const session = await loadSession(db, request.cookies[SESSION_COOKIE]);
    if (!session) {
      if (request.cookies[SESSION_COOKIE]) reply.clearCookie(SESSION_COOKIE, cookieOptions(config));
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new ConsoleRefusal(
          403,
          'Your session has ended',
          'You were signed out, so this form was not saved. Sign in again, then repeat the change.',
        );
      }
      const signIn = `/admin/sign-in?next=${encodeURIComponent(request.url)}`;
      if (isHtmx(request)) {
        // An htmx request would swap the sign-in page into part of the page: navigate instead.
        return securityHeaders(reply).header('hx-redirect', signIn).code(204).send();
      }
      return securityHeaders(reply).header('cache-control', 'no-store').redirect(signIn, 303);
    }
    if (request.method === 'POST') {
      const presented = presentedToken(request.body, request.headers[CSRF_HEADER]);
      if (!tokenMatches(session.csrfToken, presented)) throw csrfRefusal();
    }
    request.consoleSession = session;
  };
}

/** The session of a request that passed the guard. */
export function sessionOf(request: FastifyRequest): ConsoleSession {
  const session = request.consoleSession;
  if (!session) throw new Error('console route without the session guard');
  return session;
}

/**
 * Sources and links are the platform's, not an organization's: only a platform admin changes
 * them (an org operator could otherwise point their org at another hospital's tenant, or turn a
 * production source into a sandbox one and with it the private-address guard off).
 */
export function requirePlatformAdmin(session: ConsoleSession): void {
  if (session.role !== 'platform_admin') throw new ChartsideError('platform_admin_required');
}
