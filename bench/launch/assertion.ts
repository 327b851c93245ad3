/**
 * JWT client assertions (`private_key_jwt`, RFC 7523 as SMART App Launch's asymmetric client
 * authentication profiles it) for the launch benchmark, on node:crypto alone: the bare relay
 * signs its own with {@link signAssertion}, and the EHR stub checks every subject's with
 * {@link AssertionVerifier}, as an EHR would, against the keys registered for the client (the
 * gateway's JWKS, the baseline's and the floor's key). Cheap on purpose: the stub shares the two
 * cores with the subject it measures, and an RS384 check costs a few hundredths of a millisecond.
 *
 * @see https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html
 */
import { createPublicKey, type JsonWebKey, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART: at most five minutes; and the clocks here are one clock, so a little skew only. */
const MAX_LIFETIME_SECONDS = 300;
const SKEW_SECONDS = 30;
/** The two algorithms SMART names; ES384 signatures are r‖s (JWS), not DER. */
const ALGORITHMS: Record<string, { dsaEncoding?: 'ieee-p1363' }> = {
  RS384: {},
  ES384: { dsaEncoding: 'ieee-p1363' },
};

/** A signed assertion for the token endpoint `audience`, valid two minutes (the floor's). */
export function signAssertion(
  key: KeyObject,
  kid: string,
  clientId: string,
  audience: string,
  alg: 'RS384' | 'ES384' = 'RS384',
): string {
  const now = Math.floor(Date.now() / 1000);
  const header = encode({ alg, typ: 'JWT', kid });
  const claims = encode({
    iss: clientId,
    sub: clientId,
    aud: audience,
    jti: randomUUID(),
    iat: now,
    exp: now + 120,
  });
  const signature = sign('sha384', Buffer.from(`${header}.${claims}`), { key, ...ALGORITHMS[alg] });
  return `${header}.${claims}.${signature.toString('base64url')}`;
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class AssertionRefused extends Error {}

/** Checks assertions from one client posted to one token endpoint; remembers `jti`s until they expire. */
export class AssertionVerifier {
  readonly #keys = new Map<string, KeyObject>();
  /** jti → exp (s), in the order seen: an expiry sweep stops at the first one still alive. */
  readonly #used = new Map<string, number>();

  constructor(
    readonly clientId: string,
    readonly tokenEndpoint: string,
  ) {}

  /** Registers public keys (a JWKS's `keys`) by `kid`; a key without one is ignored. */
  addKeys(keys: readonly JsonWebKey[]): void {
    for (const jwk of keys) {
      const kid = (jwk as { kid?: unknown }).kid;
      if (typeof kid === 'string' && kid) this.#keys.set(kid, createPublicKey({ key: jwk, format: 'jwk' }));
    }
  }

  /** Throws {@link AssertionRefused} naming what is wrong with the token request's assertion. */
  check(form: URLSearchParams): void {
    if (form.get('client_assertion_type') !== JWT_BEARER)
      refuse(`client_assertion_type must be ${JWT_BEARER}`);
    const [header = '', claims = '', signature = ''] = (form.get('client_assertion') ?? '').split('.');
    const { alg, kid } = decode(header) ?? refuse('the assertion is not a JWT');
    const algorithm = typeof alg === 'string' ? ALGORITHMS[alg] : undefined;
    if (!algorithm) refuse('alg must be RS384 or ES384');
    const key = typeof kid === 'string' ? this.#keys.get(kid) : undefined;
    if (!key) refuse(`kid ${String(kid)} is not a key registered for the client`);
    let valid = false;
    try {
      valid = verify(
        'sha384',
        Buffer.from(`${header}.${claims}`),
        { key, ...algorithm },
        Buffer.from(signature, 'base64url'),
      );
    } catch {
      // a key of the other type: the signature is not valid
    }
    if (!valid) refuse('the signature does not verify');
    const { iss, sub, aud, exp, jti } = decode(claims) ?? refuse('the claims are not JSON');
    if (iss !== this.clientId || sub !== this.clientId) refuse('iss and sub must be the client id');
    if (aud !== this.tokenEndpoint) refuse(`aud must be ${this.tokenEndpoint}`);
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof exp !== 'number' ||
      exp < now - SKEW_SECONDS ||
      exp > now + MAX_LIFETIME_SECONDS + SKEW_SECONDS
    )
      refuse('exp is missing, past, or more than five minutes ahead');
    if (typeof jti !== 'string' || !jti) refuse('jti is missing');
    this.#forgetExpired(now);
    if (this.#used.has(jti)) refuse('jti was already used');
    this.#used.set(jti, exp as number);
  }

  #forgetExpired(now: number): void {
    for (const [jti, exp] of this.#used) {
      if (exp + SKEW_SECONDS >= now) return;
      this.#used.delete(jti);
    }
  }
}

function refuse(message: string): never {
  throw new AssertionRefused(message);
}

function decode(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
