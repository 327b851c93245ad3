/**
 * How we authenticate to the EHR's token endpoint.
 *
 * private_key_jwt follows SMART's asymmetric client authentication: header `typ: JWT` and `kid`;
 * claims `iss` = `sub` = client_id, `aud` = the token endpoint URL, `jti` unique, `exp` ≤ 5 min.
 * oauth4webapi's defaults differ (aud = issuer, no typ), so the assertion is adjusted.
 * @see https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
 */
import * as oauth from 'oauth4webapi';
import type { ClientAuthMethod } from '../config/index.ts';
import type { KeyRing, SigningAlgorithm } from '../keys/signing-keys.ts';

/** The OAuth client a SMART exchange runs as (settings/connections.ts picks it per launch). */
export interface SmartClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly authMethod: ClientAuthMethod;
}

/** Lifetime of our client assertions; SMART allows at most five minutes. */
export const ASSERTION_LIFETIME_SECONDS = 120;

export function clientAuthentication(
  client: SmartClient,
  keyRing: KeyRing,
  tokenEndpoint: string,
  alg: SigningAlgorithm = 'RS384',
): oauth.ClientAuth {
  if (client.authMethod === 'private_key_jwt') {
    const { kid, privateKey } = keyRing.signingKey(alg);
    return oauth.PrivateKeyJwt(
      { key: privateKey, kid },
      {
        [oauth.modifyAssertion]: (header, payload) => {
          header.typ = 'JWT';
          payload.aud = tokenEndpoint;
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
