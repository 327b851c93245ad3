/**
 * The authorization request of an EHR launch (with `launch`) or a standalone one (without).
 * @see https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
 */
import { createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';

export interface AuthorizeRequest {
  readonly authorizationEndpoint: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string;
  /** The `iss` of the launch, byte for byte: Cerner rejects any other `aud` (docs/cerner.md §1). */
  readonly aud: string;
  /** The EHR's `launch`, or null for a standalone launch, which has none. */
  readonly launch: string | null;
  readonly codeChallenge: string;
}

export function newCodeVerifier(): string {
  return oauth.generateRandomCodeVerifier();
}

/**
 * S256: BASE64URL(SHA-256(ASCII(code_verifier))), RFC 7636 §4.2. node:crypto, synchronously:
 * WebCrypto's digest (oauth4webapi's calculatePKCECodeChallenge) goes through the thread pool
 * and costs about five times the CPU for 43 bytes, on every launch.
 */
export function codeChallengeFor(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The authorize URL, keeping any query the EHR's endpoint already has. */
export function authorizeUrl(request: AuthorizeRequest): URL {
  const url = new URL(request.authorizationEndpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope,
    state: request.state,
    aud: request.aud,
    ...(request.launch === null ? {} : { launch: request.launch }),
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}
