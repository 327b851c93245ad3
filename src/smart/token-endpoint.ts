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
    // The policy goes along so the outbound guard checks where the host resolves (SSRF).
    [oauth.customFetch]: (url: string, init: RequestInit) =>
      http.fetch(url, timeoutMs === undefined ? { ...init, policy } : { ...init, timeoutMs, policy }),
    [oauth.allowInsecureRequests]: policy.allowLoopbackHttp,
  };
}

/** What oauth4webapi reads of a token response besides its status and body. */
const TOKEN_RESPONSE_HEADERS = ['content-type', 'www-authenticate', 'dpop-nonce', 'cache-control', 'pragma'];
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
/** A token response is a few kB; a larger one is refused rather than held in memory. */
const MAX_TOKEN_RESPONSE_BYTES = 1_000_000;

async function readCapped(body: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new Error('the token response is too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The same rules (policy and SSRF guard, one timeout over the whole exchange, redirects refused)
 * over the outbound wrapper's lean call, with a WHATWG Response built from the read body for
 * oauth4webapi: about half of fetch's CPU per call, on every launch's callback (bench:launch).
 */
export function codeExchangeRequestOptions(http: OutboundHttp, policy: UrlPolicy) {
  return {
    [oauth.customFetch]: async (url: string, init: RequestInit) => {
      const requestHeaders: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        requestHeaders[name] = value;
      });
      const response = await http.stream(new URL(url), {
        method: init.method ?? 'POST',
        headers: requestHeaders,
        body: Buffer.from(String(init.body ?? ''), 'utf8'),
        policy,
      });
      const headers = new Headers();
      for (const name of TOKEN_RESPONSE_HEADERS) {
        const value = response.header(name);
        if (value !== null) headers.set(name, value);
      }
      const body = await readCapped(response.body, MAX_TOKEN_RESPONSE_BYTES);
      return new Response(NULL_BODY_STATUSES.has(response.status) ? null : new Uint8Array(body), {
        status: response.status,
        headers,
      });
    },
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
