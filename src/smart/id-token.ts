/**
 * Where an id_token's keys live, and whose id_tokens we accept.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
 */
import { decodeJwt } from 'jose';
import { type OutboundHttp, readJsonBody } from '../http/outbound.ts';
import { assertAllowedUrl, type UrlPolicy } from '../http/url-policy.ts';
import type { SmartConfiguration } from './discovery.ts';

export interface IdTokenKeys {
  readonly issuer: string;
  readonly jwksUri: string;
}

/**
 * An id_token issuer is trusted when it is the EHR's advertised issuer, or lives on the same
 * origin as the EHR's authorization or token endpoint. Cerner's id_token `iss`
 * (`…/tenants/{t}/oidc/idsps/{t}/`) differs from its advertised `issuer` (docs/cerner.md §6);
 * Epic's is `https://<host>/oauth2`. Signature verification is what makes this safe.
 */
export function isTrustedIdTokenIssuer(iss: string, smart: SmartConfiguration): boolean {
  if (smart.issuer !== null && iss === smart.issuer) return true;
  let origin: string;
  try {
    origin = new URL(iss).origin;
  } catch {
    return false;
  }
  return (
    origin === new URL(smart.authorizationEndpoint).origin || origin === new URL(smart.tokenEndpoint).origin
  );
}

/**
 * The JWKS for an id_token: the SMART configuration's `jwks_uri`, else the issuer's OpenID
 * configuration (only for a trusted issuer, so an id_token cannot point us anywhere else), under
 * the source's policy (SSRF guard) like every other call for it.
 */
export async function resolveIdTokenJwksUri(
  http: OutboundHttp,
  idToken: string,
  smart: SmartConfiguration,
  policy: UrlPolicy,
): Promise<IdTokenKeys> {
  const { iss } = decodeJwt(idToken);
  if (typeof iss !== 'string' || !isTrustedIdTokenIssuer(iss, smart))
    throw new Error('untrusted id_token issuer');
  if (smart.jwksUri) return { issuer: iss, jwksUri: smart.jwksUri };
  const configurationUrl = `${iss.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await http.fetch(assertAllowedUrl(configurationUrl, policy, 'OpenID configuration'), {
    headers: { accept: 'application/json' },
    policy,
  });
  if (!response.ok) throw new Error(`openid-configuration answered ${response.status}`);
  const document = (await readJsonBody(response)) as { jwks_uri?: unknown };
  if (typeof document.jwks_uri !== 'string') throw new Error('openid-configuration has no jwks_uri');
  return { issuer: iss, jwksUri: assertAllowedUrl(document.jwks_uri, policy, 'JWKS URI').href };
}
