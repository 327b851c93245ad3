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
import { KeyObject, sign, type webcrypto } from 'node:crypto';
import type * as oauth from 'oauth4webapi';
import type { ClientAuthMethod } from '../config/index.ts';
import { JWT_ALGORITHMS } from '../crypto/jwt-verify.ts';
import { randomToken } from '../crypto/random.ts';
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
    return privateKeyJwt(client, { alg, kid, key: keyObjectOf(privateKey) }, audience);
  }
  if (!client.clientSecret) throw new MissingClientSecretError();
  return clientSecretBasic(client.clientId, client.clientSecret);
}

/**
 * The assertion, signed with node:crypto: WebCrypto (oauth4webapi's PrivateKeyJwt) costs
 * measurably more CPU per signature, on every code exchange (bench:launch, private_key_jwt). Claims as RFC 7523 §3 and SMART ask,
 * `nbf` as oauth4webapi sends it; `client_id` in the body too, as oauth4webapi does (RFC 7521 §4.2
 * allows it, and some EHRs look the client up by it).
 */
function privateKeyJwt(
  client: SmartClient,
  signer: { alg: SigningAlgorithm; kid: string; key: KeyObject },
  audience: string,
): oauth.ClientAuth {
  return (_as, _client, body) => {
    const now = Math.floor(Date.now() / 1000);
    const header = {
      alg: signer.alg,
      kid: signer.kid,
      typ: 'JWT',
      ...(client.jku ? { jku: client.jku } : {}),
    };
    const claims = {
      iss: client.clientId,
      sub: client.clientId,
      aud: audience,
      jti: randomToken(),
      iat: now,
      nbf: now,
      exp: now + ASSERTION_LIFETIME_SECONDS,
    };
    const input = `${base64url(header)}.${base64url(claims)}`;
    // ES384 signatures are the raw r||s pair JWS uses (RFC 7518 §3.4), not DER.
    const options =
      signer.alg === 'ES384' ? { key: signer.key, dsaEncoding: 'ieee-p1363' as const } : signer.key;
    const hash = JWT_ALGORITHMS[signer.alg].hash;
    const signature = sign(hash, Buffer.from(input, 'ascii'), options).toString('base64url');
    body.set('client_id', client.clientId);
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    body.set('client_assertion', `${input}.${signature}`);
  };
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The key ring's WebCrypto keys as node:crypto KeyObjects, converted once per key. */
const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();
function keyObjectOf(key: webcrypto.CryptoKey): KeyObject {
  let found = keyObjects.get(key);
  if (!found) {
    found = KeyObject.from(key);
    keyObjects.set(key, found);
  }
  return found;
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
