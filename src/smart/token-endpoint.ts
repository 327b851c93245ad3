/**
 * What the code exchange and the refresh share when they drive oauth4webapi against an EHR's
 * token endpoint: the authorization-server object built from the SMART configuration, the
 * request options (our outbound wrapper; loopback http only for sandbox sources), and the
 * id_token issuer adjustment.
 */
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import type { OutboundHttp } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import { bufferedResponse } from './buffered-response.ts';
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
 * over the outbound wrapper's lean call, with a WHATWG Response over the read body for
 * oauth4webapi (buffered-response.ts): measurably less CPU than fetch on every launch's callback
 * (`npm run bench:launch`).
 * The id_token issuer is adopted from the bytes already read, before the Response exists (a
 * `clone()` to peek at it would tee the body stream on every launch).
 */
export function codeExchangeRequestOptions(
  http: OutboundHttp,
  policy: UrlPolicy,
  issuer: { as: AuthorizationServer; smart: SmartConfiguration },
) {
  return {
    [oauth.customFetch]: async (url: string, init: RequestInit) => {
      const response = await http.stream(new URL(url), {
        method: init.method ?? 'POST',
        headers: plainHeaders(init.headers),
        body: Buffer.from(String(init.body ?? ''), 'utf8'),
        policy,
      });
      const headers = new Headers();
      for (const name of TOKEN_RESPONSE_HEADERS) {
        const value = response.header(name);
        if (value !== null) headers.set(name, value);
      }
      const body = await readCapped(response.body, MAX_TOKEN_RESPONSE_BYTES);
      if (response.status === 200) adoptIssuerFromBody(issuer.as, body, issuer.smart);
      if (NULL_BODY_STATUSES.has(response.status))
        return new Response(null, { status: response.status, headers });
      return bufferedResponse(body, { status: response.status, headers });
    },
    [oauth.allowInsecureRequests]: policy.allowLoopbackHttp,
  };
}

/** oauth4webapi passes its request headers as a plain object; anything else goes through Headers. */
function plainHeaders(init: ConstructorParameters<typeof Headers>[0]): Record<string, string> {
  const headers: Record<string, string> = {};
  if (init && !(init instanceof Headers) && !Array.isArray(init)) {
    for (const [name, value] of Object.entries(init as Record<string, string>))
      headers[name.toLowerCase()] = value;
    return headers;
  }
  new Headers(init).forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}

/**
 * oauth4webapi requires an id_token's `iss` to equal `as.issuer`, but Cerner's id_token issuer
 * (`…/oidc/idsps/{t}/`) is not its advertised `issuer` (docs/cerner.md §6). Before the
 * response is processed, adopt the id_token's own issuer when it is one we trust.
 */
export async function adoptTrustedIdTokenIssuer(
  as: AuthorizationServer,
  response: Response,
  smart: SmartConfiguration,
): Promise<void> {
  if (!response.ok) return;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return; // oauth4webapi reports the malformed body
  }
  adoptIssuer(as, body, smart);
}

function adoptIssuerFromBody(as: AuthorizationServer, body: Buffer, smart: SmartConfiguration): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return; // oauth4webapi reports the malformed body
  }
  adoptIssuer(as, parsed, smart);
}

function adoptIssuer(as: AuthorizationServer, body: unknown, smart: SmartConfiguration): void {
  const idToken = (body as { id_token?: unknown } | null)?.id_token;
  if (typeof idToken !== 'string') return;
  let iss: unknown;
  try {
    iss = decodeJwt(idToken).iss;
  } catch {
    return; // oauth4webapi reports the malformed id_token
  }
  if (typeof iss === 'string' && isTrustedIdTokenIssuer(iss, smart)) as.issuer = iss;
}
