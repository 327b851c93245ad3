/**
 * Client authentication at the token and revocation endpoints (S5): client_secret_basic,
 * private_key_jwt (SMART Backend Services rules, as Cerner points to them; docs/cerner.md
 * §4), or a public client naming itself. Exactly one method per request.
 */
import { timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { privacyOf, type SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];
/** Client assertions may live at most 5 minutes (SMART Backend Services); ±30 s skew (S5). */
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;

export type ClientAuthMethod = 'client_secret_basic' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  app: SandboxAppRegistration;
  method: ClientAuthMethod;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 6749 section 2.3.1: id and secret are form-encoded before Basic encoding. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function authenticateBasic(
  ctx: SandboxContext,
  header: string,
  fields: Record<string, string>,
): AuthenticatedClient {
  const basic = parseBasic(header);
  if (!basic) {
    throw new TokenEndpointError(
      'invalid_client',
      URN.invalidAuthorizationHeader,
      'malformed Basic authorization header',
    );
  }
  // Accept both the RFC 6749 form-encoded pair and a raw pair (many clients skip the encoding).
  const candidates = [{ id: formDecode(basic.id), secret: formDecode(basic.secret) }, basic];
  let known: SandboxAppRegistration | undefined;
  for (const { id, secret } of candidates) {
    const app = ctx.appByClientId(id);
    if (!app) continue;
    known ??= app;
    if (secret !== undefined && app.secret !== undefined && sameSecret(secret, app.secret)) {
      if (fields.client_id !== undefined && fields.client_id !== app.clientId) {
        throw new TokenEndpointError(
          'invalid_client',
          URN.invalidClientCredentials,
          'body client_id differs from the Basic id',
          app.clientId,
        );
      }
      return { app, method: 'client_secret_basic' };
    }
  }
  const detail = known ? 'wrong client secret' : `unknown client ${basic.id}`;
  throw new TokenEndpointError('invalid_client', URN.invalidClientCredentials, detail, known?.clientId);
}

async function authenticateAssertion(
  ctx: SandboxContext,
  fields: Record<string, string>,
  endpointUrl: string,
): Promise<AuthenticatedClient> {
  const fail = (detail: string, client = 'unknown'): never => {
    throw new TokenEndpointError('invalid_client', URN.invalidClientAssertion, detail, client);
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
  const app = typeof claims.iss === 'string' ? ctx.appByClientId(claims.iss) : undefined;
  if (!app) return fail(`iss ${String(claims.iss)} is not a registered client`);
  const client = app.clientId;
  if (!app.jwksUrl) fail('the client has no JSON Web Key Set URL registered', client);
  if (claims.sub !== client) fail('sub must equal iss (the client_id)', client);
  if (fields.client_id !== undefined && fields.client_id !== client)
    fail('body client_id differs from assertion iss', client);
  if (typeof header.alg !== 'string' || !ASSERTION_ALGORITHMS.includes(header.alg)) {
    fail(`alg must be one of ${ASSERTION_ALGORITHMS.join(', ')}`, client);
  }
  if (typeof header.kid !== 'string' || header.kid === '') fail('the assertion header has no kid', client);
  if (header.jku !== undefined && header.jku !== app.jwksUrl)
    fail('jku differs from the registered JWKS URL', client);
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    const jwk = await ctx.clientJwks.findKey(app.jwksUrl as string, header.kid as string);
    const key = await importJWK(jwk, header.alg);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [header.alg as string],
      currentDate: ctx.clock.now(),
      clockTolerance: CLOCK_SKEW_S,
      requiredClaims: ['exp', 'jti'],
    }));
  } catch (error) {
    return fail(`assertion verification failed: ${(error as Error).message}`, client);
  }
  // aud is the exact token URL the request was posted to (S5; the hosts/ variant included).
  if (payload.aud !== endpointUrl) fail(`aud must be exactly ${endpointUrl}`, client);
  const now = ctx.clock.nowSeconds();
  if ((payload.exp as number) > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S)
    fail('exp is more than 5 minutes ahead', client);
  if (payload.iat !== undefined && payload.iat > now + CLOCK_SKEW_S) fail('iat is in the future', client);
  if (typeof payload.jti !== 'string' || payload.jti === '') fail('jti is missing', client);
  if (!ctx.state.rememberAssertionId(client, payload.jti as string, (payload.exp as number) * 1000)) {
    fail('jti was already used', client);
  }
  return { app, method: 'private_key_jwt' };
}

/**
 * Identifies and authenticates the client of a token-endpoint style request. `endpointUrl` is
 * the absolute URL the request was posted to (the expected assertion `aud`).
 */
export async function authenticateClient(
  ctx: SandboxContext,
  authorization: string | undefined,
  fields: Record<string, string>,
  endpointUrl: string,
): Promise<AuthenticatedClient> {
  if (fields.client_secret !== undefined) {
    // client_secret_post is not supported by Cerner (docs/cerner.md §4).
    throw new TokenEndpointError(
      'invalid_client',
      URN.invalidClientCredentials,
      'client_secret in the body is not supported',
    );
  }
  const hasAssertion = fields.client_assertion !== undefined || fields.client_assertion_type !== undefined;
  if (authorization !== undefined && hasAssertion) {
    throw new TokenEndpointError(
      'invalid_request',
      URN.tokenInvalidRequest,
      'more than one client authentication method',
    );
  }
  if (authorization !== undefined) return authenticateBasic(ctx, authorization, fields);
  if (hasAssertion) return authenticateAssertion(ctx, fields, endpointUrl);
  const app = ctx.appByClientId(fields.client_id);
  if (!app)
    throw new TokenEndpointError('invalid_client', URN.invalidClientCredentials, 'no client authentication');
  if (privacyOf(app) === 'confidential') {
    throw new TokenEndpointError(
      'invalid_client',
      URN.invalidClientCredentials,
      'a confidential client must authenticate',
      app.clientId,
    );
  }
  return { app, method: 'none' };
}
