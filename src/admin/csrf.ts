/**
 * CSRF protection for every console form.
 *
 * - Signed in: a synchronizer token stored with the session, sent as the hidden `_csrf` field
 *   (or the `X-CSRF-Token` header on htmx requests), compared in constant time.
 * - The sign-in form (no session yet): a random nonce in a short-lived cookie, and in the form
 *   an HMAC of that nonce under a key derived from the master key. A site that can set cookies
 *   for our host still cannot produce a matching form value, so it cannot sign a victim in to
 *   the attacker's account.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { constantTimeEqual, randomToken } from '../crypto/random.ts';

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SIGN_IN_COOKIE = 'chartside_sign_in';

/** The token a request presented: the form field first, then the htmx header. */
export function presentedToken(body: unknown, header: string | string[] | undefined): string | undefined {
  const field = (body as Record<string, unknown> | null | undefined)?.[CSRF_FIELD];
  if (typeof field === 'string' && field) return field;
  return typeof header === 'string' && header ? header : undefined;
}

export function tokenMatches(expected: string, presented: string | undefined): boolean {
  return presented !== undefined && constantTimeEqual(expected, presented);
}

export interface SignInCsrf {
  newNonce(): string;
  tokenFor(nonce: string): string;
  verify(nonce: string | undefined, presented: string | undefined): boolean;
}

export function signInCsrf(masterKey: Buffer): SignInCsrf {
  // A separate key for this one purpose, so the master key itself never signs anything here.
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'chartside admin sign-in csrf', 32));
  const tokenFor = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
  return {
    newNonce: () => randomToken(24),
    tokenFor,
    verify(nonce, presented) {
      if (!nonce || nonce.length > 100 || !presented) return false;
      return constantTimeEqual(tokenFor(nonce), presented);
    },
  };
}
