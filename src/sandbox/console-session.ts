/**
 * Signing in to the Code Console with a Cerner Code account (the guide's first step). Reading
 * the console's pages needs no sign-in in the sandbox (a shared screen on a developer's
 * machine); registering an app, editing it, and anything that shows or changes a secret or the
 * JWKS URL does. The session also carries the wizard's draft, a one-shot notice and a CSRF token
 * that every form posts back.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RegistrationDraft } from './registration-form.ts';

export const CONSOLE_COOKIE = 'sandbox_code_console';
export const CONSOLE_SIGN_IN_PATH = '/developer/sign-in';
export const CONSOLE_SIGN_OUT_PATH = '/developer/sign-out';

/** The sandbox's one Cerner Code account (printed by `npm start`, named in the README). */
export const CODE_ACCOUNT = { username: 'developer', password: 'developer' } as const;

/** Console sessions end after this long without a request. */
const IDLE_LIMIT_MS = 8 * 3_600_000;

export interface ConsoleSession {
  id: string;
  username: string;
  csrfToken: string;
  lastSeen: number;
  /** The New Application wizard's values so far (Back and Next keep them). */
  draft?: RegistrationDraft;
  /** Shown once on the next page ("Application registered.", "Saved."). */
  notice?: string;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  create(username: string): ConsoleSession {
    const session: ConsoleSession = {
      id: randomUUID(),
      username,
      csrfToken: randomBytes(24).toString('base64url'),
      lastSeen: Date.now(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string | undefined): ConsoleSession | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    if (Date.now() - session.lastSeen > IDLE_LIMIT_MS) {
      this.sessions.delete(session.id);
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }
}

export function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether the username and password are the Cerner Code account's (compared in constant time). */
export function isCodeAccount(username: string, password: string): boolean {
  const user = sameText(username, CODE_ACCOUNT.username);
  const pass = sameText(password, CODE_ACCOUNT.password);
  return user && pass;
}

export function consoleSessionOf(
  sessions: ConsoleSessions,
  request: FastifyRequest,
): ConsoleSession | undefined {
  return sessions.find(request.cookies[CONSOLE_COOKIE]);
}

/** The sign-in page that comes back to `returnTo` (a same-origin path) afterwards. */
export function signInUrl(returnTo: string): string {
  return `${CONSOLE_SIGN_IN_PATH}?${new URLSearchParams({ return_to: returnTo }).toString()}`;
}

export function redirectToSignIn(reply: FastifyReply, returnTo: string): FastifyReply {
  return reply.redirect(signInUrl(returnTo), 303);
}

/** The form's CSRF token matches the session's (constant time). */
export function validCsrf(session: ConsoleSession, fields: Record<string, string>): boolean {
  return sameText(fields.csrf ?? '', session.csrfToken);
}

/** Takes the one-shot notice. */
export function takeNotice(session: ConsoleSession | undefined): string | undefined {
  const notice = session?.notice;
  if (session) delete session.notice;
  return notice;
}
