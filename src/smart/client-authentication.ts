/**
 * How we authenticate to the EHR's token endpoint.
 *
 * private_key_jwt follows SMART's asymmetric client authentication: header `typ: JWT` and `kid`;
 * claims `iss` = `sub` = client_id, `aud` = the token endpoint URL, `jti` unique, `exp` ≤ 5 min.
 * oauth4webapi's defaults differ (aud = issuer, no typ), so the assertion is adjusted. The
 * algorithm is the connection's, else the EHR's advertised choice (RS384 or ES384); `jku` (our
 * JWKS URL) goes in the header when the connection asks for it, as SMART allows and Epic uses to
 * look the key up (fhir.epic.com OAuth 2.0 Specification, "JWKS URLs").
 * @see https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
 */
import * as oauth from 'oauth4webapi';
import type { ClientAuthMethod } from '../config/index.ts';
import type { KeyRing, SigningAlgorithm } from '../keys/signing-keys.ts';
import { assertionAlgorithm } from './capabilities.ts';

/** The OAuth client a SMART exchange runs as (settings/connections.ts picks it per launch). */
export interface SmartClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly authMethod: ClientAuthMethod;
  /** The assertion algorithm the connection chose; null or absent: the EHR's advertised choice. */
  readonly signingAlg?: SigningAlgorithm | null;
  /** Our JWKS URL, sent as the assertion's `jku` header; null or absent: no `jku`. */
  readonly jku?: string | null;
}

/** Lifetime of our client assertions; SMART allows at most five minutes. */
export const ASSERTION_LIFETIME_SECONDS = 120;

/**
 * @param audience The assertion's `aud`: the token endpoint's URL (or the revocation endpoint's).
 * @param advertisedAlgs The EHR's `token_endpoint_auth_signing_alg_values_supported`.
 */
export function clientAuthentication(
  client: SmartClient,
  keyRing: KeyRing,
  audience: string,
  advertisedAlgs: readonly string[] = [],
): oauth.ClientAuth {
  if (client.authMethod === 'private_key_jwt') {
    const alg = assertionAlgorithm(client.signingAlg ?? null, advertisedAlgs);
    const { kid, privateKey } = keyRing.signingKey(alg);
    const jku = client.jku ?? null;
    return oauth.PrivateKeyJwt(
      { key: privateKey, kid },
      {
        [oauth.modifyAssertion]: (header, payload) => {
          header.typ = 'JWT';
          if (jku) header.jku = jku;
          payload.aud = audience;
          payload.exp = (payload.iat as number) + ASSERTION_LIFETIME_SECONDS;
        },
      },
    );
  }
  if (!client.clientSecret) throw new MissingClientSecretError();
  return clientSecretBasic(client.clientId, client.clientSecret);
}

/**
 * RFC 6749 §2.3.1: id and secret are `application/x-www-form-urlencoded` before base64.
 * oauth4webapi's own ClientSecretBasic also escapes `-`, `.`, `_`, so a UUID client id (Cerner's
 * are UUIDs) would arrive as `52f33973%2D…` at servers that do not decode; true form encoding
 * leaves those characters alone, so typical ids and secrets go over the wire unchanged.
 */
function clientSecretBasic(clientId: string, clientSecret: string): oauth.ClientAuth {
  const credentials = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  };
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

export class MissingClientSecretError extends Error {
  override readonly name = 'MissingClientSecretError';
  constructor() {
    super('client_secret_basic is configured but no client secret is set');
  }
}
