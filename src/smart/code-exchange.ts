/**
 * The authorization-code exchange and its validation, over oauth4webapi.
 *
 * SMART adjustments (peers-and-libs.md §C.2): the AS metadata is built from the SMART
 * configuration (no OIDC discovery); the id_token issuer is checked against the EHR's own
 * origin because Cerner's id_token `iss` is not its advertised `issuer`; and the id_token
 * signature is verified against the EHR's JWKS (oauth4webapi only checks claims for id_tokens
 * from the token endpoint).
 */
import * as oauth from 'oauth4webapi';
import { verifyJwt } from '../crypto/jwt-verify.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import type { KeyRing } from '../keys/signing-keys.ts';
import type { SmartClient } from './client-authentication.ts';
import { clientAuthentication } from './client-authentication.ts';
import type { SmartConfiguration } from './discovery.ts';
import { cleanErrorDescription } from './error-description.ts';
import { type IdTokenKeys, resolveIdTokenJwksUri } from './id-token.ts';
import type { JwksCache } from './jwks-cache.ts';
import { extraContextOf } from './launch-context.ts';
import { authorizationServerFor, codeExchangeRequestOptions } from './token-endpoint.ts';

/** The EHR's token response, with SMART's launch context, in our words. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresIn: number | null;
  /** Scopes as granted, which may be fewer than requested (docs/cerner.md §5). */
  readonly scope: string | null;
  readonly patient: string | null;
  readonly encounter: string | null;
  readonly needPatientBanner: boolean | null;
  readonly smartStyleUrl: string | null;
  readonly tenant: string | null;
  /** SMART `intent` (SMART 2.2 §Launch context); absent or null: not sent. */
  readonly intent?: string | null;
  /** SMART 2 `fhirContext`, the array as sent; absent or null: not sent. */
  readonly fhirContext?: readonly unknown[] | null;
  /** The response's other non-token fields (vendor extensions, Cerner's `user`, `username` …). */
  readonly extraContext?: Readonly<Record<string, unknown>> | null;
  readonly idTokenClaims: Readonly<Record<string, unknown>> | null;
  /** `fhirUser` (or the older `profile`) from the verified id_token. */
  readonly fhirUser: string | null;
}

export interface CodeExchange {
  readonly smart: SmartConfiguration;
  readonly client: SmartClient;
  readonly callbackUrl: URL;
  readonly redirectUri: string;
  readonly codeVerifier: string;
  readonly policy: UrlPolicy;
}

export interface CodeExchangeDeps {
  readonly http: OutboundHttp;
  readonly keyRing: KeyRing;
  readonly jwks: JwksCache;
}

/** Thrown for every way the exchange can fail; `reason` is for logs only. */
export class TokenExchangeError extends Error {
  override readonly name = 'TokenExchangeError';
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

export async function exchangeCode(deps: CodeExchangeDeps, exchange: CodeExchange): Promise<TokenSet> {
  const { smart, client } = exchange;
  const as = authorizationServerFor(smart);
  const oauthClient: oauth.Client = { client_id: client.clientId };
  // The request options adopt the id_token's issuer into `as` when it is one we trust.
  const options = codeExchangeRequestOptions(deps.http, exchange.policy, { as, smart });

  let response: Response;
  try {
    const params = oauth.validateAuthResponse(as, oauthClient, exchange.callbackUrl, oauth.skipStateCheck);
    response = await oauth.authorizationCodeGrantRequest(
      as,
      oauthClient,
      clientAuthentication(client, deps.keyRing, smart.tokenEndpoint, smart.tokenEndpointAuthSigningAlgs),
      params,
      exchange.redirectUri,
      exchange.codeVerifier,
      options,
    );
  } catch (error) {
    throw new TokenExchangeError('token request failed', { cause: error });
  }

  let result: oauth.TokenEndpointResponse;
  try {
    result = await oauth.processAuthorizationCodeResponse(as, oauthClient, response);
  } catch (error) {
    throw new TokenExchangeError(describeOauthFailure(error), { cause: error });
  }
  if (result.token_type !== 'bearer')
    throw new TokenExchangeError(`unsupported token_type ${result.token_type}`);

  let idTokenClaims: Record<string, unknown> | null = null;
  if (typeof result.id_token === 'string') {
    idTokenClaims = await verifyIdTokenSignature(deps, result.id_token, client.clientId, exchange);
  }
  return toTokenSet(result, idTokenClaims);
}

async function verifyIdTokenSignature(
  deps: CodeExchangeDeps,
  idToken: string,
  clientId: string,
  { smart, policy }: Pick<CodeExchange, 'smart' | 'policy'>,
): Promise<Record<string, unknown>> {
  const keys: IdTokenKeys = await resolveIdTokenJwksUri(deps.http, idToken, smart, policy).catch(
    (error: unknown) => {
      throw new TokenExchangeError('could not find the id_token signing keys', { cause: error });
    },
  );
  try {
    const { claims } = await verifyJwt(idToken, deps.jwks.keysFor(keys.jwksUri, policy), {
      audience: clientId,
      issuer: keys.issuer,
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256', 'PS384'],
      clockToleranceSeconds: 30,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    return { ...claims };
  } catch (error) {
    throw new TokenExchangeError('id_token signature or claims did not verify', { cause: error });
  }
}

function toTokenSet(
  result: oauth.TokenEndpointResponse,
  idTokenClaims: Record<string, unknown> | null,
): TokenSet {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  // Epic sends need_patient_banner as a string (docs/cerner.md §12); Cerner as a boolean.
  const banner = result.need_patient_banner;
  const fhirUser = idTokenClaims ? (text(idTokenClaims.fhirUser) ?? text(idTokenClaims.profile)) : null;
  return {
    accessToken: result.access_token,
    refreshToken: text(result.refresh_token),
    expiresIn: typeof result.expires_in === 'number' ? result.expires_in : null,
    scope: text(result.scope),
    patient: text(result.patient),
    encounter: text(result.encounter),
    needPatientBanner:
      typeof banner === 'boolean' ? banner : banner === 'true' ? true : banner === 'false' ? false : null,
    smartStyleUrl: text(result.smart_style_url),
    tenant: text(result.tenant),
    intent: text(result.intent),
    ...extraContextOf(result),
    idTokenClaims,
    fhirUser,
  };
}

function describeOauthFailure(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) {
    // The EHR's own words go to the log and audit trail too (capped, cleaned): "invalid_client"
    // alone rarely says which of the client's settings the EHR objects to.
    const description = cleanErrorDescription(error.error_description);
    return `token endpoint error ${error.error} (HTTP ${error.status})${description ? `: ${description}` : ''}`;
  }
  if (error instanceof oauth.OperationProcessingError) return `invalid token response: ${error.message}`;
  return error instanceof Error ? error.message : 'token response could not be processed';
}
