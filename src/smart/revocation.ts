/**
 * Token revocation at the EHR (RFC 7009) over oauth4webapi, through our outbound wrapper, with
 * the same client authentication as the token endpoint.
 *
 * A private_key_jwt assertion's `aud` is the revocation URL: SMART asks for the URL "to which
 * this authentication JWT will be posted", and an authorization server checks it against the
 * endpoint it was presented to.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 * @see https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html#authenticating-to-the-token-endpoint
 */
import * as oauth from 'oauth4webapi';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError, type OutboundHttp } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import type { KeyRing } from '../keys/signing-keys.ts';
import { clientAuthentication, MissingClientSecretError, type SmartClient } from './client-authentication.ts';
import type { SmartConfiguration } from './discovery.ts';
import { authorizationServerFor, tokenRequestOptions } from './token-endpoint.ts';

/** RFC 7009 §2.1 `token_type_hint`. */
export type TokenTypeHint = 'refresh_token' | 'access_token';

export interface RevocationRequest {
  readonly smart: SmartConfiguration & { readonly revocationEndpoint: string };
  readonly client: SmartClient;
  readonly token: string;
  readonly tokenTypeHint: TokenTypeHint;
  readonly policy: UrlPolicy;
  readonly timeoutMs: number;
}

/**
 * Why a revocation did not happen: the EHR answered an error (`refused`, with its OAuth `error`
 * and HTTP status), the call timed out or never connected (`timeout`, `unreachable`), our URL
 * policy refused the endpoint (`not_allowed`), or our own client configuration is incomplete.
 */
export class RevocationError extends Error {
  override readonly name = 'RevocationError';
  constructor(
    readonly reason: 'refused' | 'timeout' | 'unreachable' | 'not_allowed' | 'client_config',
    readonly status: number | null = null,
    readonly ehrError: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(`revocation ${reason}${status === null ? '' : ` (HTTP ${status})`}`, options);
  }
}

/** Revoke one token. Resolves when the EHR answered 200 (RFC 7009 §2.2: also for unknown tokens). */
export async function revokeToken(
  deps: { readonly http: OutboundHttp; readonly keyRing: KeyRing },
  request: RevocationRequest,
): Promise<void> {
  const { smart, client } = request;
  const as = { ...authorizationServerFor(smart), revocation_endpoint: smart.revocationEndpoint };
  try {
    const response = await oauth.revocationRequest(
      as,
      { client_id: client.clientId },
      clientAuthentication(
        client,
        deps.keyRing,
        smart.revocationEndpoint,
        smart.tokenEndpointAuthSigningAlgs,
      ),
      request.token,
      {
        ...tokenRequestOptions(deps.http, request.policy, request.timeoutMs),
        additionalParameters: { token_type_hint: request.tokenTypeHint },
      },
    );
    await oauth.processRevocationResponse(response);
  } catch (error) {
    throw classify(error);
  }
}

function classify(error: unknown): RevocationError {
  if (error instanceof oauth.ResponseBodyError) {
    return new RevocationError('refused', error.status, error.error, { cause: error });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new RevocationError('refused', error.status, null, { cause: error });
  }
  if (error instanceof oauth.OperationProcessingError) {
    const status = error.cause instanceof Response ? error.cause.status : null;
    return new RevocationError('refused', status, null, { cause: error });
  }
  if (error instanceof OutboundError) {
    return new RevocationError(error.kind === 'timeout' ? 'timeout' : 'unreachable', null, null, {
      cause: error,
    });
  }
  if (error instanceof MissingClientSecretError) {
    return new RevocationError('client_config', null, null, { cause: error });
  }
  // The outbound guard's refusal of the endpoint (insecure_endpoint, ehr_endpoint_not_allowed).
  if (error instanceof ChartsideError)
    return new RevocationError('not_allowed', null, null, { cause: error });
  return new RevocationError('unreachable', null, null, { cause: error });
}
