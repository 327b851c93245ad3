/**
 * Verifying a JWT signed by someone else (an EHR's id_token, an EHR's CDS Hooks JWT) with
 * node:crypto. jose verifies through WebCrypto, whose every call is an asynchronous job on the
 * thread pool: about three times the CPU of `crypto.verify` for the same RSA signature, paid on
 * every launch and every hook call. Signing stays with jose (our keys, keys/).
 *
 * What is checked, in order (RFC 7515 §5.2, RFC 7519 §7.2, OpenID Connect Core §3.1.3.7):
 * three base64url parts; a JSON header whose `alg` is one of the caller's (never `none`, never
 * HMAC: only the asymmetric families below exist here) and that names no `crit` extension; the
 * signature with a key the caller's resolver gives for that header; then the claims: `exp` and
 * `nbf` with the clock tolerance, `iat` not in the future and, with `maxAgeSeconds`, not too
 * old, `iss` and `aud` as expected, and every required claim present.
 */
import { constants, type KeyObject, verify } from 'node:crypto';

export const JWT_ALGORITHMS = {
  RS256: { hash: 'sha256', family: 'RSA' },
  RS384: { hash: 'sha384', family: 'RSA' },
  RS512: { hash: 'sha512', family: 'RSA' },
  PS256: { hash: 'sha256', family: 'RSA-PSS' },
  PS384: { hash: 'sha384', family: 'RSA-PSS' },
  PS512: { hash: 'sha512', family: 'RSA-PSS' },
  ES256: { hash: 'sha256', family: 'EC', curve: 'P-256' },
  ES384: { hash: 'sha384', family: 'EC', curve: 'P-384' },
  ES512: { hash: 'sha512', family: 'EC', curve: 'P-521' },
} as const;

export type JwtAlgorithm = keyof typeof JWT_ALGORITHMS;

export interface JwtHeader {
  readonly alg: JwtAlgorithm;
  readonly kid?: string;
  readonly jku?: string;
  readonly [name: string]: unknown;
}

export type JwtClaims = Readonly<Record<string, unknown>>;

/** The keys that may have signed a token with this header (more than one is tried in turn). */
export type KeysFor = (header: JwtHeader) => Promise<readonly KeyObject[]>;

export interface JwtExpectations {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer?: string;
  /** The token's `aud` (a string, or an array) must contain it. */
  readonly audience?: string;
  readonly clockToleranceSeconds: number;
  /** `iat` no older than this. */
  readonly maxAgeSeconds?: number;
  readonly requiredClaims?: readonly string[];
  /** Seconds since the epoch (tests). */
  readonly now?: number;
}

type Failure = 'malformed' | 'algorithm' | 'no_key' | 'signature' | 'expired' | 'claim';

/** Why a token was refused; `claim` names the claim for `claim` and `expired` failures. */
export class JwtVerificationError extends Error {
  override readonly name = 'JwtVerificationError';
  constructor(
    readonly failure: Failure,
    message: string,
    readonly claim: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Header and claims of a well-formed token, unverified: what to look up before verifying. */
export function decodeUnverified(token: string): { header: Record<string, unknown>; claims: JwtClaims } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtVerificationError('malformed', 'not a compact JWS');
  return { header: jsonPart(parts[0] as string, 'header'), claims: jsonPart(parts[1] as string, 'claims') };
}

export async function verifyJwt(
  token: string,
  keysFor: KeysFor,
  expected: JwtExpectations,
): Promise<{ header: JwtHeader; claims: JwtClaims }> {
  const { header, claims } = decodeUnverified(token);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(expected.algorithms as readonly string[]).includes(alg))
    throw new JwtVerificationError('algorithm', `alg ${JSON.stringify(alg ?? null)} is not allowed`);
  if (header.crit !== undefined) throw new JwtVerificationError('malformed', 'crit is not supported');
  const typed = header as unknown as JwtHeader;
  const keys = (await keysFor(typed)).filter((key) => keyFitsAlgorithm(key, typed.alg));
  if (keys.length === 0) throw new JwtVerificationError('no_key', 'no key matches the token’s header');
  const end = token.lastIndexOf('.');
  const signingInput = Buffer.from(token.slice(0, end), 'ascii');
  const signature = Buffer.from(token.slice(end + 1), 'base64url');
  if (!keys.some((key) => signatureVerifies(typed.alg, signingInput, key, signature)))
    throw new JwtVerificationError('signature', 'the signature does not verify');
  checkClaims(claims, expected);
  return { header: typed, claims };
}

function jsonPart(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new JwtVerificationError('malformed', `${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (error) {
    throw new JwtVerificationError('malformed', `${what} is not JSON`, null, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new JwtVerificationError('malformed', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** A key of the algorithm's family and, for ECDSA, its curve: an RSA key never checks ES384. */
export function keyFitsAlgorithm(key: KeyObject, alg: JwtAlgorithm): boolean {
  const spec = JWT_ALGORITHMS[alg];
  if (key.type !== 'public') return false;
  const type = key.asymmetricKeyType;
  if (spec.family === 'EC') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const named = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[spec.curve];
    return type === 'ec' && curve === named;
  }
  // An RSA key may sign with PKCS#1 v1.5 or PSS; an RSA-PSS key only with PSS.
  return spec.family === 'RSA' ? type === 'rsa' : type === 'rsa' || type === 'rsa-pss';
}

function signatureVerifies(alg: JwtAlgorithm, input: Buffer, key: KeyObject, signature: Buffer): boolean {
  const spec = JWT_ALGORITHMS[alg];
  try {
    if (spec.family === 'EC') return verify(spec.hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (spec.family === 'RSA-PSS') {
      return verify(
        spec.hash,
        input,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        signature,
      );
    }
    return verify(spec.hash, input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    // A signature of the wrong length for the key, for one: not a valid signature.
    return false;
  }
}

function checkClaims(claims: JwtClaims, expected: JwtExpectations): void {
  const now = expected.now ?? Math.floor(Date.now() / 1000);
  const skew = expected.clockToleranceSeconds;
  for (const name of expected.requiredClaims ?? []) {
    if (claims[name] === undefined) throw new JwtVerificationError('claim', `${name} is missing`, name);
  }
  const time = (name: string): number | undefined => {
    const value = claims[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new JwtVerificationError('claim', `${name} is not a number`, name);
    return value;
  };
  const exp = time('exp');
  if (exp !== undefined && exp <= now - skew)
    throw new JwtVerificationError('expired', 'it has expired', 'exp');
  const nbf = time('nbf');
  if (nbf !== undefined && nbf > now + skew)
    throw new JwtVerificationError('claim', 'it is not valid yet', 'nbf');
  const iat = time('iat');
  if (iat !== undefined && iat > now + skew)
    throw new JwtVerificationError('claim', 'iat is in the future', 'iat');
  if (expected.maxAgeSeconds !== undefined) {
    if (iat === undefined) throw new JwtVerificationError('claim', 'iat is missing', 'iat');
    if (now - iat > expected.maxAgeSeconds + skew)
      throw new JwtVerificationError('claim', 'iat is too old', 'iat');
  }
  if (expected.issuer !== undefined && claims.iss !== expected.issuer)
    throw new JwtVerificationError('claim', 'iss is not the expected issuer', 'iss');
  if (expected.audience !== undefined) {
    const aud = claims.aud;
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(expected.audience))
      throw new JwtVerificationError('claim', 'aud is not the expected audience', 'aud');
  }
}
