/**
 * The EHR-launch authorization request.
 * @see https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
 */
import * as oauth from 'oauth4webapi';

export interface AuthorizeRequest {
  readonly authorizationEndpoint: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string;
  /** The `iss` of the launch, byte for byte: Cerner rejects any other `aud` (cerner-smart.md §10.1). */
  readonly aud: string;
  readonly launch: string;
  readonly codeChallenge: string;
}

export function newCodeVerifier(): string {
  return oauth.generateRandomCodeVerifier();
}

export function codeChallengeFor(verifier: string): Promise<string> {
  return oauth.calculatePKCECodeChallenge(verifier);
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
    launch: request.launch,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}
