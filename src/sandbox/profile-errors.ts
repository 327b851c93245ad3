/**
 * Errors of the Epic and SMART profiles, in plain RFC 6749 terms (`error` and
 * `error_description`; no Cerner URNs): a page when the client or its redirect URI cannot be
 * trusted, a redirect to the app otherwise, and a JSON body at the token endpoint.
 */
import type { OAuthErrorCode } from './errors.ts';

/** An authorize failure shown as a page: the redirect URI cannot be trusted (RFC 6749 4.1.2.1). */
export class ProfilePageError extends Error {
  constructor(
    readonly title: string,
    readonly explanation: string,
    readonly status = 400,
  ) {
    super(explanation);
  }
}

/** An authorize failure sent back to the app's verified redirect URI. */
export class ProfileRedirectError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

/** A token, revocation or introspection failure: `{error, error_description}` (RFC 6749 5.2). */
export class ProfileTokenError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.status = error === 'invalid_client' ? 401 : 400;
  }
}
