/**
 * Cerner's error vocabulary: `urn:cerner:error:…` codes (docs/cerner.md §4, §7 and §8, and
 * the FCC-ERR list) and the `error_uri` that carries them. Errors are thrown by the endpoint
 * logic and rendered by one place per surface (authorize page or redirect, token JSON).
 */
import { randomUUID } from 'node:crypto';

const GRANT = 'urn:cerner:error:authorization-server:oauth2:grant:';
const LAUNCH = 'urn:cerner:error:authorization-server:smart-v1:grant:launch:';
const TOKEN = 'urn:cerner:error:authorization-server:oauth2:token:';

export const URN = {
  // Authorize, shown as HTML pages (S4.1-S4.3).
  unknownTenant: `${GRANT}unknown-tenant`,
  unknownClient: `${GRANT}unknown-client`,
  invalidRedirectUri: `${GRANT}invalid-redirect-uri`,
  invalidRedirectUriTrailingSlash: `${GRANT}invalid-redirect-uri-trailing-slash`,
  redirectUriNotAbsolute: `${GRANT}redirect-uri-not-absolute`,
  invalidPatientId: `${GRANT}invalid-patient-id`,
  // Authorize, sent back to the redirect URI (S4.4-S4.12).
  invalidRequest: `${GRANT}invalid-request`,
  clientPersonaMismatch: `${GRANT}client-persona-mismatch`,
  unsupportedResponseType: `${GRANT}unsupported-response-type`,
  deniedByServer: `${GRANT}denied-by-server`,
  deniedByUser: `${GRANT}denied-by-user`,
  serverError: `${GRANT}server-error`,
  audienceRequired: `${LAUNCH}audience-required`,
  audienceNotWhiteListed: `${LAUNCH}audience-not-white-listed`,
  launchCodeRequired: `${LAUNCH}launch-code-required`,
  launchInvalidCode: `${LAUNCH}invalid-code`,
  mismatchedIdentity: `${LAUNCH}mismatched-identity`,
  // Token endpoint (S5).
  invalidAuthorizationHeader: `${TOKEN}invalid-authorization-header`,
  invalidClientCredentials: `${TOKEN}invalid_client_credentials`,
  codeInvalidOrExpired: `${TOKEN}code-invalid-or-expired`,
  codeClientMismatch: `${TOKEN}code:client:mismatch`,
  codeTenantMismatch: `${TOKEN}code:tenant:mismatch`,
  tokenInvalidRedirectUri: `${TOKEN}invalid-redirect-uri`,
  unsupportedGrantType: `${TOKEN}unsupported-grant-type`,
  emptyScopes: `${TOKEN}empty-scopes`,
  refreshTokenInvalid: `${TOKEN}refresh-token:token-invalid`,
  refreshSessionInvalid: `${TOKEN}refresh-token:session-invalid`,
  // Local names: Cerner does not publish URNs for these token-endpoint cases.
  tokenInvalidRequest: `${TOKEN}invalid-request`,
  invalidClientAssertion: `${TOKEN}invalid-client-assertion`,
  invalidCodeVerifier: `${TOKEN}invalid-code-verifier`,
  tokenServerError: `${TOKEN}server-error`,
} as const;

export type CernerUrn = (typeof URN)[keyof typeof URN];

/** OAuth error codes the sandbox emits (RFC 6749 4.1.2.1 and 5.2). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'server_error'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unsupported_grant_type';

/**
 * Remembers what went wrong behind each error instance id so the `error_uri` page can show the
 * developer a hint. Real Cerner shows only the code; the hint is a sandbox convenience.
 */
export class ErrorInstances {
  private readonly details = new Map<string, { urn: string; detail: string }>();

  constructor(private readonly limit = 500) {}

  record(urn: string, detail: string): string {
    const id = randomUUID();
    this.details.set(id, { urn, detail });
    if (this.details.size > this.limit) {
      const oldest = this.details.keys().next().value;
      if (oldest !== undefined) this.details.delete(oldest);
    }
    return id;
  }

  lookup(id: string): { urn: string; detail: string } | undefined {
    return this.details.get(id);
  }
}

/**
 * `{origin}/errors/{urlencode(URN)}/instances/{uuid}?…`: the URN is percent-encoded inside the
 * path, so it appears double-encoded once the whole URI is a query value (docs/cerner.md §8).
 */
export function buildErrorUri(
  origin: string,
  urn: string,
  instanceId: string,
  query: [string, string][],
): string {
  const search = new URLSearchParams(query).toString();
  return `${origin}/errors/${encodeURIComponent(urn)}/instances/${instanceId}${search ? `?${search}` : ''}`;
}

/** An authorize failure that must not redirect: the client or redirect URI cannot be trusted. */
export class AuthorizePageError extends Error {
  constructor(
    readonly urn: CernerUrn,
    readonly explanation: string,
    readonly status = 400,
  ) {
    super(explanation);
  }
}

/** An authorize failure reported to the verified redirect URI (S4, from step 4 on). */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly urn: CernerUrn,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** A token-endpoint failure: `{error, error_uri}`, 401 for invalid_client, else 400 (S5). */
export class TokenEndpointError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly urn: CernerUrn,
    readonly detail: string,
    /** client_id shown in the error_uri, or "unknown" when the client is not identified. */
    readonly client = 'unknown',
  ) {
    super(detail);
    this.status = error === 'invalid_client' ? 401 : 400;
  }
}
