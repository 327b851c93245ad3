/**
 * The EHR's JWT on a CDS Hooks request (CDS Hooks 2.0 §security), checked in this order:
 * bearer present → asymmetric `alg` (never `none`, never HMAC) → `iss` trusted for the org →
 * `jku` absent or on that issuer's allowlist (a hostile `jku` is never fetched) → signature with
 * the issuer's keys (one refetch on an unknown `kid`, jwks-cache.ts) → `aud` = the exact URL
 * called → `exp`/`iat` with a small skew → `jti` not seen before by any process (`cds_jti`).
 * Any failure is a 401 `cds_unauthorized` naming the check; the JWT itself is never logged.
 *
 * The last check, recording the `jti`, is a database write: the route hook starts it and the
 * handler awaits it (`confirmedCaller`) beside its own first read, so on PostgreSQL the two
 * round trips overlap. A handler calls the app or answers only after it, and `replayBackstop`
 * turns any successful answer whose replay check failed (or was never awaited) into the
 * refusal. An error answer (a body that is not a hook call, an org without a CDS endpoint) may
 * go out before the check ends: it tells a replaying caller, whose JWT is otherwise that of the
 * org's own trusted EHR, only what the published schemas and that EHR's setup already say.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import {
  decodeUnverified,
  JWT_ALGORITHMS,
  type JwtAlgorithm,
  type JwtClaims,
  JwtVerificationError,
  verifyJwt,
} from '../crypto/jwt-verify.ts';
import { isUniqueViolation } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { assertAllowedUrl, urlPolicyForMode } from '../http/url-policy.ts';
import type { Services } from '../services.ts';
import type { CdsLookups } from './cds-lookups.ts';

/**
 * Asymmetric algorithms only (CDS Hooks: ES384 and RS384 recommended): every algorithm
 * crypto/jwt-verify.ts knows, which are the RSA, RSA-PSS and ECDSA ones and nothing else.
 */
export const CDS_JWT_ALGORITHMS = Object.keys(JWT_ALGORITHMS) as readonly JwtAlgorithm[];
/** Clock skew allowed on `exp` and `iat`. */
export const CDS_JWT_SKEW_SECONDS = 60;
/** The longest JWT life accepted; seen `jti`s are kept this long at most. */
export const CDS_JWT_MAX_LIFETIME_SECONDS = 3600;

export interface VerifiedCdsCaller {
  readonly issuer: string;
  readonly jti: string;
  readonly tenant: string | null;
}

/** A caller whose JWT checked out but for the replay check, which is under way. */
export interface PendingCdsCaller {
  readonly caller: VerifiedCdsCaller;
  /** Settles once the jti is recorded; rejects with the refusal when it was seen before. */
  readonly replayCheck: Promise<void>;
  /** Someone awaits the replay check (and so answers its refusal): the backstop need not. */
  awaited: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The EHR that signed a hook call's JWT (set before the body is validated). */
    cdsCaller: PendingCdsCaller | null;
  }
}

/**
 * The route hook that checks the JWT of a hook call (or, with `'feedback'`, of its feedback)
 * before the body is validated: a caller that is not trusted learns nothing about the body.
 */
export function authenticateCdsCaller(services: Services, lookups: CdsLookups, ...suffix: ['feedback'] | []) {
  return async (request: FastifyRequest<{ Params: { orgId: string; serviceId: string } }>) => {
    const { orgId, serviceId } = request.params;
    const audience = cdsHooksUrl(services.config, orgId, serviceId, ...suffix);
    request.cdsCaller = await verifyCdsJwt(services, lookups, orgId, request.headers.authorization, audience);
  };
}

/** The caller {@link authenticateCdsCaller} verified, once its jti is recorded (throws on a replay). */
export async function confirmedCaller(request: FastifyRequest): Promise<VerifiedCdsCaller> {
  const pending = request.cdsCaller;
  if (!pending) throw new Error('the CDS route has no authenticateCdsCaller hook');
  pending.awaited = true;
  await pending.replayCheck;
  return pending.caller;
}

/**
 * onSend hook of the CDS scope: a successful answer goes out only for a caller whose replay
 * check passed; otherwise the refusal is answered instead (through the error handler).
 */
export async function replayBackstop(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const pending = request.cdsCaller;
  if (pending && !pending.awaited && reply.statusCode < 400) {
    // Once: the refusal's own answer passes through here again.
    pending.awaited = true;
    await pending.replayCheck;
  }
  return payload;
}

function refuse(reason: string, cause?: unknown): ChartsideError {
  return new ChartsideError('cds_unauthorized', {
    message: `The CDS Hooks JWT was refused: ${reason}.`,
    cause,
  });
}

export async function verifyCdsJwt(
  services: Services,
  lookups: CdsLookups,
  orgId: string,
  authorization: string | undefined,
  audience: string,
): Promise<PendingCdsCaller> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(authorization ?? '');
  if (!match?.[1]) throw refuse('send Authorization: Bearer <JWT>');
  const token = match[1];

  let header: Record<string, unknown>;
  let unverified: JwtClaims;
  try {
    ({ header, claims: unverified } = decodeUnverified(token));
  } catch (error) {
    throw refuse('it is not a well-formed JWT', error);
  }
  if (typeof header.alg !== 'string' || !(CDS_JWT_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw refuse(`alg ${JSON.stringify(header.alg ?? null)} is not allowed (asymmetric algorithms only)`);
  }
  if (typeof unverified.iss !== 'string') throw refuse('iss is missing');
  const trusted = await lookups.trustedIssuer(orgId, unverified.iss);
  if (!trusted) throw refuse('iss is not a trusted CDS client of this organization');

  let keySetUrl = trusted.jwksUrl;
  if (header.jku !== undefined) {
    if (
      typeof header.jku !== 'string' ||
      (header.jku !== trusted.jwksUrl && !trusted.jkuAllowlist.includes(header.jku))
    ) {
      throw refuse('jku is not on the issuer’s allowlist');
    }
    keySetUrl = header.jku;
  }
  // The EHR's keys belong to no FHIR source: in production public addresses (or allowed private
  // ranges) only, so a trusted issuer's JWKS URL or jku cannot point us at internal hosts.
  const policy = urlPolicyForMode(services.config.mode, services.config.allowPrivateUpstreams);
  assertAllowedUrl(keySetUrl, policy, 'JWKS URL');

  let payload: JwtClaims;
  try {
    ({ claims: payload } = await verifyJwt(token, services.jwks.keysFor(keySetUrl, policy), {
      algorithms: CDS_JWT_ALGORITHMS,
      issuer: trusted.issuer,
      audience,
      clockToleranceSeconds: CDS_JWT_SKEW_SECONDS,
      maxAgeSeconds: CDS_JWT_MAX_LIFETIME_SECONDS,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'jti'],
    }));
  } catch (error) {
    throw refuse(describeVerificationFailure(error), error);
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp as number;
  if (exp - now > CDS_JWT_MAX_LIFETIME_SECONDS + CDS_JWT_SKEW_SECONDS) {
    throw refuse(`exp is more than ${CDS_JWT_MAX_LIFETIME_SECONDS} s ahead`);
  }
  const jti = payload.jti as string;
  if (jti.length === 0 || jti.length > 255) throw refuse('jti is empty or too long');
  const replayCheck = rememberJti(services, trusted.issuer, jti, exp);
  // Awaited by the handler or the backstop; until then a refusal is not an unhandled rejection.
  replayCheck.catch(() => {});
  return {
    caller: {
      issuer: trusted.issuer,
      jti,
      tenant: typeof payload.tenant === 'string' ? payload.tenant : null,
    },
    replayCheck,
    awaited: false,
  };
}

function describeVerificationFailure(error: unknown): string {
  if (!(error instanceof JwtVerificationError)) return 'the issuer’s keys could not be read';
  switch (error.failure) {
    case 'expired':
      return 'it has expired';
    case 'claim':
      if (error.claim === 'aud') return 'aud is not the URL called';
      if (error.claim === 'iat') return 'iat is in the future or too old';
      return `the ${error.claim} claim is not valid`;
    case 'signature':
      return 'the signature does not verify';
    case 'no_key':
      return 'no key of the issuer matches its kid';
    case 'algorithm':
      return 'alg is not allowed';
    default:
      return 'it could not be verified';
  }
}

/** Record the jti; a second use (any process, same database) is a replay. */
async function rememberJti(services: Services, issuer: string, jti: string, exp: number): Promise<void> {
  const { db } = services;
  const jtiHash = createHash('sha256').update(`${issuer}\n${jti}`).digest('hex');
  const expiresAt = new Date((exp + CDS_JWT_SKEW_SECONDS) * 1000).toISOString();
  try {
    await db.insertInto('cds_jti').values({ jti_hash: jtiHash, expires_at: expiresAt }).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // A row past its expiry may linger until pruned; its JWT is expired anyway, so this is a replay.
    throw refuse('jti has already been used');
  }
  if (Math.random() < 0.02) {
    await db.deleteFrom('cds_jti').where('expires_at', '<', new Date().toISOString()).execute();
  }
}

/** The exact URL of a CDS Hooks endpoint of ours (what the EHR's `aud` must be). */
export function cdsHooksUrl(config: Pick<Config, 'publicUrl'>, orgId: string, ...rest: string[]): string {
  const tail = rest.map((part) => `/${encodeURIComponent(part)}`).join('');
  return `${config.publicUrl}/api/cds/${encodeURIComponent(orgId)}/cds-services${tail}`;
}
