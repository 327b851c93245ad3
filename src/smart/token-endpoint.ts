/**
 * What the code exchange and the refresh share when they drive oauth4webapi against an EHR's
 * token endpoint: the authorization-server object built from the SMART configuration, the
 * request options (our outbound wrapper; loopback http only for sandbox sources), and the
 * id_token issuer adjustment.
 */
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import type { OutboundHttp, UrlPolicy } from '../http/outbound.ts';
import type { SmartConfiguration } from './discovery.ts';
import { isTrustedIdTokenIssuer } from './id-token.ts';

export type AuthorizationServer = {
  -readonly [K in keyof oauth.AuthorizationServer]: oauth.AuthorizationServer[K];
};

/** oauth4webapi's AS metadata from SMART discovery (there is no OIDC discovery to run). */
export function authorizationServerFor(smart: SmartConfiguration): AuthorizationServer {
  return {
    issuer: smart.issuer ?? new URL(smart.tokenEndpoint).origin,
    authorization_endpoint: smart.authorizationEndpoint,
    token_endpoint: smart.tokenEndpoint,
  };
}

/** Every token-endpoint call goes through the outbound wrapper (timeout, no silent redirects). */
export function tokenRequestOptions(http: OutboundHttp, policy: UrlPolicy, timeoutMs?: number) {
  return {
    [oauth.customFetch]: (url: string, init: RequestInit) =>
      http.fetch(url, timeoutMs === undefined ? init : { ...init, timeoutMs }),
    [oauth.allowInsecureRequests]: policy.allowLoopbackHttp,
  };
}

/**
 * oauth4webapi requires an id_token's `iss` to equal `as.issuer`, but Cerner's id_token issuer
 * (`…/oidc/idsps/{t}/`) is not its advertised `issuer` (cerner-smart.md §4.7). Before the
 * response is processed, adopt the id_token's own issuer when it is one we trust.
 */
export async function adoptTrustedIdTokenIssuer(
  as: AuthorizationServer,
  response: Response,
  smart: SmartConfiguration,
): Promise<void> {
  if (!response.ok) return;
  let iss: unknown;
  try {
    const body = (await response.clone().json()) as { id_token?: unknown };
    if (typeof body.id_token !== 'string') return;
    iss = decodeJwt(body.id_token).iss;
  } catch {
    return; // oauth4webapi reports the malformed body
  }
  if (typeof iss === 'string' && isTrustedIdTokenIssuer(iss, smart)) as.issuer = iss;
}
