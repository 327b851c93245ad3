/**
 * The refresh_token grant over oauth4webapi, through our outbound wrapper.
 *
 * Cerner answers without a new refresh token, and the original one stays valid (docs/cerner.md §7):
 * `refreshToken` is then null and the caller keeps what it holds. Servers that rotate send a new
 * one, which replaces the old (the old one may already be dead).
 *
 * An id_token in a refresh answer is optional to the gateway: the launch keeps the identity its
 * code exchange verified, so a refreshed id_token is never used. One that is malformed or fails
 * its claims (no `aud`, another audience, an untrusted issuer, expired) is reported in
 * `ignoredIdToken` for the log and the refresh goes on with the new access token; it never fails
 * the refresh (SMART App Launch 2.2 §Refresh: the response's id_token is not required).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://hl7.org/fhir/smart-app-launch/app-launch.html#refresh-access-token
 */

import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { OutboundError, type OutboundHttp } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import type { KeyRing } from '../keys/signing-keys.ts';
import type { SmartClient } from './client-authentication.ts';
import { clientAuthentication, MissingClientSecretError } from './client-authentication.ts';
import type { SmartConfiguration } from './discovery.ts';
import { isTrustedIdTokenIssuer } from './id-token.ts';
import { authorizationServerFor, tokenRequestOptions } from './token-endpoint.ts';

export interface RefreshRequest {
  readonly smart: SmartConfiguration;
  readonly client: SmartClient;
  readonly refreshToken: string;
  readonly policy: UrlPolicy;
  readonly timeoutMs: number;
}

export interface RefreshedTokens {
  readonly accessToken: string;
  /** A rotated refresh token, or null when the EHR kept the old one valid (Cerner). */
  readonly refreshToken: string | null;
  readonly expiresIn: number | null;
  readonly scope: string | null;
  /** Why the answer's id_token was left aside, when it had a bad one (for the log). */
  readonly ignoredIdToken?: string;
}

/**
 * Why a refresh failed. `permanent`: the EHR refused (an OAuth error such as `invalid_grant`,
 * or client authentication); retrying cannot help, the launch is over. Otherwise the failure is
 * transient (timeout, network, 5xx, a malformed answer) and a later attempt may succeed.
 */
export class RefreshError extends Error {
  override readonly name = 'RefreshError';
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
    /** The EHR's OAuth `error` and `error_uri`, when it sent them. */
    readonly ehrError: string | null = null,
    readonly ehrErrorUri: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }

  /** Cerner's "the user's session is gone" refusal of an online_access refresh (docs/cerner.md §7). */
  get sessionEnded(): boolean {
    return this.ehrErrorUri !== null && /refresh-token(?::|%3A)session-invalid/i.test(this.ehrErrorUri);
  }
}

export async function refreshAccessToken(
  deps: { readonly http: OutboundHttp; readonly keyRing: KeyRing },
  request: RefreshRequest,
): Promise<RefreshedTokens> {
  const { smart, client } = request;
  const as = authorizationServerFor(smart);
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const options = tokenRequestOptions(deps.http, request.policy, request.timeoutMs);

  let response: Response;
  try {
    response = await oauth.refreshTokenGrantRequest(
      as,
      oauthClient,
      clientAuthentication(client, deps.keyRing, smart.tokenEndpoint, smart.tokenEndpointAuthSigningAlgs),
      request.refreshToken,
      options,
    );
  } catch (error) {
    throw classify(error);
  }
  try {
    const { answer, ignoredIdToken } = await setIdTokenAside(response, client.clientId, smart);
    const result = await oauth.processRefreshTokenResponse(as, oauthClient, answer);
    if (result.token_type !== 'bearer') {
      throw new RefreshError(`unsupported token_type ${result.token_type}`, false);
    }
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
    return {
      accessToken: result.access_token,
      refreshToken: text(result.refresh_token),
      expiresIn: typeof result.expires_in === 'number' ? result.expires_in : null,
      scope: text(result.scope),
      ...(ignoredIdToken ? { ignoredIdToken } : {}),
    };
  } catch (error) {
    throw classify(error);
  }
}

/**
 * The answer without its id_token (oauth4webapi would fail the whole refresh on a bad one), and
 * what was wrong with that id_token, if anything. A non-JSON or error answer goes on unchanged:
 * oauth4webapi reports it.
 */
async function setIdTokenAside(
  response: Response,
  clientId: string,
  smart: SmartConfiguration,
): Promise<{ answer: Response; ignoredIdToken: string | null }> {
  if (!response.ok) return { answer: response, ignoredIdToken: null };
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  const rebuilt = (body: string) => new Response(body, { status: response.status, headers });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { answer: rebuilt(text), ignoredIdToken: null };
  }
  if (typeof body !== 'object' || body === null || !('id_token' in body)) {
    return { answer: rebuilt(text), ignoredIdToken: null };
  }
  const { id_token: idToken, ...rest } = body as Record<string, unknown>;
  return { answer: rebuilt(JSON.stringify(rest)), ignoredIdToken: idTokenProblem(idToken, clientId, smart) };
}

/** What oauth4webapi would refuse in a refreshed id_token, in our words; null when it is fine. */
export function idTokenProblem(idToken: unknown, clientId: string, smart: SmartConfiguration): string | null {
  if (typeof idToken !== 'string') return 'id_token is not a string';
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(idToken);
  } catch {
    return 'id_token is not a JWT';
  }
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (audiences.length === 0) return 'id_token has no aud';
  if (!audiences.includes(clientId)) return 'id_token is for another audience';
  if (typeof claims.iss !== 'string' || !isTrustedIdTokenIssuer(claims.iss, smart))
    return 'id_token issuer is not trusted';
  if (typeof claims.sub !== 'string' || claims.sub === '') return 'id_token has no sub';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now() - 30_000)
    return 'id_token has expired';
  return null;
}

/** Sort a failure into permanent (the EHR said no) or transient (try again later). */
function classify(error: unknown): RefreshError {
  if (error instanceof RefreshError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    const errorUri = typeof error.cause.error_uri === 'string' ? error.cause.error_uri : null;
    const permanent = error.status < 500 && error.error !== 'temporarily_unavailable';
    return new RefreshError(
      `token endpoint error ${error.error} (HTTP ${error.status})`,
      permanent,
      error.error,
      errorUri,
      { cause: error },
    );
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new RefreshError(`token endpoint refused the client (HTTP ${error.status})`, true, null, null, {
      cause: error,
    });
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : null;
    const permanent = status !== null && status >= 400 && status < 500;
    const where = status === null ? '' : ` (HTTP ${status})`;
    return new RefreshError(`invalid token response${where}: ${error.message}`, permanent, null, null, {
      cause: error,
    });
  }
  if (error instanceof OutboundError) {
    return new RefreshError(`token endpoint unreachable: ${error.message}`, false, null, null, {
      cause: error,
    });
  }
  // Our own configuration (a missing client secret) is fixable by an operator: not the EHR's no.
  if (error instanceof MissingClientSecretError) {
    return new RefreshError(error.message, false, null, null, { cause: error });
  }
  const message = error instanceof Error ? error.message : 'refresh failed';
  return new RefreshError(message, false, null, null, { cause: error });
}
