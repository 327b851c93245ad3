/**
 * Checking a JWT client assertion (`private_key_jwt`, RFC 7523 as SMART App Launch 2
 * "client-confidential-asymmetric" and SMART Backend Services profile it), for every profile of
 * the sandbox. The profile says who the clients are and which key set URLs an assertion may use
 * (the registered JSON Web Key Set URL; for Epic also an allowlisted `jku`); the checks and their
 * order are the same everywhere, and each failure names what was wrong.
 */
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { SandboxContext } from './context.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART App Launch 2: clients SHALL support RS384 and ES384; servers SHALL accept one of them. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'] as const;
/** Client assertions may live at most 5 minutes (SMART Backend Services); ±30 s skew (S5). */
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;

/** Why an assertion was refused; `client` is the client id once the assertion named a known one. */
export class AssertionFailure extends Error {
  constructor(
    readonly detail: string,
    readonly client: string | undefined,
  ) {
    super(detail);
  }
}

/** What a profile tells the checks about its clients. */
export interface AssertionRules<App> {
  /** The registered client whose id is the assertion's `iss`. */
  findClient(iss: string): App | undefined;
  clientIdOf(app: App): string;
  /** The client's registered JSON Web Key Set URL, if any. */
  registeredKeySet(app: App): string | undefined;
  /** May a `jku` header name this URL? The keys are then read from it. */
  jkuAllowed(app: App, jku: string): boolean;
}

/**
 * Verifies `client_assertion` (form fields of a token or revocation request) posted to
 * `endpointUrl`, which the assertion's `aud` must equal exactly. Returns the client; throws
 * AssertionFailure.
 */
export async function verifyClientAssertion<App>(
  ctx: SandboxContext,
  fields: Record<string, string>,
  endpointUrl: string,
  rules: AssertionRules<App>,
): Promise<App> {
  const fail = (detail: string, client?: string): never => {
    throw new AssertionFailure(detail, client);
  };
  if (fields.client_assertion_type !== JWT_BEARER) fail(`client_assertion_type must be ${JWT_BEARER}`);
  const assertion = fields.client_assertion ?? '';
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return fail('client_assertion is not a JWT');
  }
  const app = typeof claims.iss === 'string' ? rules.findClient(claims.iss) : undefined;
  if (app === undefined) return fail(`iss ${String(claims.iss)} is not a registered client`);
  const client = rules.clientIdOf(app);
  const registered = rules.registeredKeySet(app);
  if (registered === undefined) fail('the client has no JSON Web Key Set URL registered', client);
  if (claims.sub !== client) fail('sub must equal iss (the client_id)', client);
  if (fields.client_id !== undefined && fields.client_id !== client)
    fail('body client_id differs from assertion iss', client);
  const alg = header.alg;
  if (typeof alg !== 'string' || !(ASSERTION_ALGORITHMS as readonly string[]).includes(alg)) {
    fail(`alg must be one of ${ASSERTION_ALGORITHMS.join(', ')}`, client);
  }
  if (typeof header.kid !== 'string' || header.kid === '') fail('the assertion header has no kid', client);
  const jku = header.jku;
  if (jku !== undefined && (typeof jku !== 'string' || !rules.jkuAllowed(app, jku)))
    fail('jku is neither the registered JWKS URL nor an allowlisted one', client);
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    const jwk = await ctx.clientJwks.findKey(
      (jku as string | undefined) ?? (registered as string),
      header.kid as string,
    );
    const key = await importJWK(jwk, alg as string);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [alg as string],
      currentDate: ctx.clock.now(),
      clockTolerance: CLOCK_SKEW_S,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (error) {
    return fail(`assertion verification failed: ${(error as Error).message}`, client);
  }
  // aud is the exact URL the request was posted to (S5; Cerner's hosts/ variant included).
  if (payload.aud !== endpointUrl) fail(`aud must be exactly ${endpointUrl}`, client);
  const now = ctx.clock.nowSeconds();
  if ((payload.exp as number) > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S)
    fail('exp is more than 5 minutes ahead', client);
  if (payload.iat !== undefined && payload.iat > now + CLOCK_SKEW_S) fail('iat is in the future', client);
  if (typeof payload.jti !== 'string' || payload.jti === '') fail('jti is missing', client);
  if (!ctx.state.rememberAssertionId(client, payload.jti as string, (payload.exp as number) * 1000)) {
    fail('jti was already used', client);
  }
  return app;
}
