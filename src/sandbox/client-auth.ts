/**
 * Client authentication at the token and revocation endpoints (S5): client_secret_basic,
 * private_key_jwt (SMART Backend Services rules, as Cerner points to them; docs/cerner.md
 * §4), or a public client naming itself. Exactly one method per request.
 */
import { timingSafeEqual } from 'node:crypto';
import { AssertionFailure, type AssertionRules, verifyClientAssertion } from './client-assertion.ts';
import { privacyOf, type SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';

export { JWT_BEARER } from './client-assertion.ts';

export type ClientAuthMethod = 'client_secret_basic' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  app: SandboxAppRegistration;
  method: ClientAuthMethod;
}

export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 6749 section 2.3.1: id and secret are form-encoded before Basic encoding. */
export function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

export function parseBasic(header: string): { id: string; secret: string } | undefined {
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

/** Cerner: the registered JWKS URL only; a `jku` header must name that same URL (S5). */
function cernerAssertionRules(ctx: SandboxContext): AssertionRules<SandboxAppRegistration> {
  return {
    findClient: (iss) => ctx.appByClientId(iss),
    clientIdOf: (app) => app.clientId,
    registeredKeySet: (app) => app.jwksUrl,
    jkuAllowed: (app, jku) => jku === app.jwksUrl,
  };
}

async function authenticateAssertion(
  ctx: SandboxContext,
  fields: Record<string, string>,
  endpointUrl: string,
): Promise<AuthenticatedClient> {
  try {
    const app = await verifyClientAssertion(ctx, fields, endpointUrl, cernerAssertionRules(ctx));
    return { app, method: 'private_key_jwt' };
  } catch (error) {
    if (!(error instanceof AssertionFailure)) throw error;
    throw new TokenEndpointError('invalid_client', URN.invalidClientAssertion, error.detail, error.client);
  }
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
