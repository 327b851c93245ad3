/**
 * Calls to the app's own CDS service, each with a fresh JWT signed by our key (CDS Hooks 2.0
 * §security: `iss` = our public URL, `aud` = the exact URL called, `jti`, `exp` ≤ 5 min, `jku` =
 * our JWKS URL). The EHR's JWT is never forwarded: its `aud` is us.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError } from '../http/outbound.ts';
import { urlPolicyForMode } from '../http/url-policy.ts';
import { jwksUrl } from '../launch/urls.ts';
import type { Services } from '../services.ts';

/** Lifetime of the JWT we send to the app (≤ 5 minutes, per the issue). */
export const APP_JWT_LIFETIME_SECONDS = 300;
/** The largest app response read (cards are small). */
const MAX_APP_RESPONSE_BYTES = 1_000_000;

export async function signAppJwt(services: Services, audience: string, tenant: string): Promise<string> {
  // RS384: what CDS Hooks recommends with ES384, and cheaper to sign than P-384 with OpenSSL.
  const key = services.keyRing.signingKey('RS384');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', jku: jwksUrl(services.config) })
    .setIssuer(services.config.publicUrl)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + APP_JWT_LIFETIME_SECONDS)
    .setJti(randomUUID())
    .sign(key.privateKey);
}

/** `<CDS endpoint>/cds-services[/<id>[/feedback]]`, the endpoint's own path kept. */
export function appServiceUrl(cdsEndpoint: string, ...rest: string[]): string {
  const tail = rest.map((part) => `/${encodeURIComponent(part)}`).join('');
  return `${cdsEndpoint.replace(/\/+$/, '')}/cds-services${tail}`;
}

export type AppCallResult =
  | { ok: true; status: number; body: unknown }
  | {
      ok: false;
      /** `not_allowed`: refused by the URL policy (a private address in production) before connecting. */
      reason: 'timeout' | 'unreachable' | 'not_allowed' | 'status' | 'bad_json' | 'too_large';
      status: number | null;
    };

/**
 * One call to the app, body read included, within `timeoutMs` (the outbound wrapper's lean
 * keep-alive `stream` call). Never throws for the app's failures: the caller turns them into a
 * conformant answer and an audit event. The CDS endpoint is the customer's service, entered by an
 * operator: in production it is held to the production sources' rule (https, public addresses or
 * the allowed private ranges), so it cannot be aimed at the gateway's own network.
 */
export async function callApp(
  services: Services,
  url: string,
  tenant: string,
  init: { method: 'GET' | 'POST'; body?: unknown; timeoutMs: number },
): Promise<AppCallResult> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${await signAppJwt(services, url, tenant)}`,
  };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let status: number | null = null;
  try {
    const response = await services.http.stream(new URL(url), {
      method: init.method,
      headers,
      ...(init.body !== undefined ? { body: Buffer.from(JSON.stringify(init.body)) } : {}),
      timeoutMs: init.timeoutMs,
      policy: urlPolicyForMode(services.config.mode, services.config.allowPrivateUpstreams),
    });
    status = response.status;
    if (response.status < 200 || response.status > 299) {
      await response.discard();
      return { ok: false, reason: 'status', status };
    }
    if (Number(response.header('content-length') ?? 0) > MAX_APP_RESPONSE_BYTES) {
      await response.discard();
      return { ok: false, reason: 'too_large', status };
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_APP_RESPONSE_BYTES) {
        response.body.destroy();
        return { ok: false, reason: 'too_large', status };
      }
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return { ok: true, status, body: null };
    try {
      return { ok: true, status, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
    } catch {
      return { ok: false, reason: 'bad_json', status };
    }
  } catch (error) {
    if (error instanceof ChartsideError) return { ok: false, reason: 'not_allowed', status };
    if (error instanceof OutboundError) {
      return { ok: false, reason: error.kind === 'timeout' ? 'timeout' : 'unreachable', status };
    }
    const name = (error as Error | undefined)?.name;
    const code = (error as { code?: string } | undefined)?.code;
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_BODY_TIMEOUT') {
      return { ok: false, reason: 'timeout', status };
    }
    return { ok: false, reason: 'unreachable', status };
  }
}
