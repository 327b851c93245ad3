/**
 * SMART discovery: `{iss}/.well-known/smart-configuration`, falling back to the
 * CapabilityStatement's `oauth-uris` extension at `{iss}/metadata`.
 *
 * @see https://hl7.org/fhir/smart-app-launch/conformance.html (SMART App Launch 2.2 §Conformance)
 * @see docs/cerner.md §2 for Cerner's exact documents.
 */
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError, type OutboundHttp, readJsonBody } from '../http/outbound.ts';
import { assertAllowedUrl, type UrlPolicy } from '../http/url-policy.ts';

export interface SmartConfiguration {
  /** The `issuer` the EHR advertises, when it does (Cerner 2026 does; its id_token `iss` differs). */
  readonly issuer: string | null;
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string | null;
  readonly revocationEndpoint: string | null;
  readonly tokenEndpointAuthMethods: readonly string[];
  /** `token_endpoint_auth_signing_alg_values_supported`: the assertion algorithms it verifies. */
  readonly tokenEndpointAuthSigningAlgs: readonly string[];
  readonly codeChallengeMethods: readonly string[];
  readonly capabilities: readonly string[];
  readonly scopesSupported: readonly string[];
  /** Which document the endpoints came from. */
  readonly source: 'smart-configuration' | 'metadata';
}

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export async function discoverSmartConfiguration(
  http: OutboundHttp,
  iss: string,
  policy: UrlPolicy,
): Promise<SmartConfiguration> {
  const base = iss.replace(/\/+$/, '');
  let firstFailure: unknown;
  try {
    const response = await http.fetch(`${base}/.well-known/smart-configuration`, {
      headers: { accept: 'application/json' },
      policy,
    });
    if (response.ok) return parseSmartConfiguration(await readJsonBody(response), policy);
    await response.body?.cancel();
    firstFailure = new Error(`smart-configuration answered ${response.status}`);
  } catch (error) {
    if (isRefusedEndpoint(error)) throw error;
    firstFailure = error;
  }
  // SMART v1 servers may only publish the endpoints in the CapabilityStatement.
  try {
    const response = await http.fetch(`${base}/metadata`, {
      headers: { accept: 'application/fhir+json' },
      policy,
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`metadata answered ${response.status}`);
    }
    return parseCapabilityStatement(await readJsonBody(response, 5_000_000), policy);
  } catch (error) {
    if (isRefusedEndpoint(error)) throw error;
    throw new ChartsideError('discovery_failed', {
      cause: { smartConfiguration: firstFailure, metadata: error },
    });
  }
}

/** Validate a `.well-known/smart-configuration` document. Pure: testable with plain JSON. */
export function parseSmartConfiguration(json: unknown, policy: UrlPolicy): SmartConfiguration {
  if (!isObject(json)) throw invalid('smart-configuration is not a JSON object');
  const authorizationEndpoint = requiredUrl(json.authorization_endpoint, 'authorization endpoint', policy);
  const tokenEndpoint = requiredUrl(json.token_endpoint, 'token endpoint', policy);
  return {
    issuer: typeof json.issuer === 'string' ? json.issuer : null,
    authorizationEndpoint,
    tokenEndpoint,
    jwksUri: optionalUrl(json.jwks_uri, 'JWKS URI', policy),
    revocationEndpoint: optionalUrl(json.revocation_endpoint, 'revocation endpoint', policy),
    tokenEndpointAuthMethods: stringList(json.token_endpoint_auth_methods_supported),
    tokenEndpointAuthSigningAlgs: stringList(json.token_endpoint_auth_signing_alg_values_supported),
    codeChallengeMethods: stringList(json.code_challenge_methods_supported),
    capabilities: stringList(json.capabilities),
    scopesSupported: stringList(json.scopes_supported),
    source: 'smart-configuration',
  };
}

/** Read the `oauth-uris` extension of a CapabilityStatement (SMART v1 discovery). */
export function parseCapabilityStatement(json: unknown, policy: UrlPolicy): SmartConfiguration {
  if (!isObject(json) || json.resourceType !== 'CapabilityStatement')
    throw invalid('metadata is not a CapabilityStatement');
  const rest = Array.isArray(json.rest) ? json.rest : [];
  for (const entry of rest) {
    const extensions = isObject(entry) && isObject(entry.security) ? entry.security.extension : undefined;
    if (!Array.isArray(extensions)) continue;
    const oauthUris = extensions.find((ext) => isObject(ext) && ext.url === OAUTH_URIS);
    if (!isObject(oauthUris) || !Array.isArray(oauthUris.extension)) continue;
    const uri = (name: string) => {
      const found = (oauthUris.extension as unknown[]).find((ext) => isObject(ext) && ext.url === name);
      return isObject(found) ? found.valueUri : undefined;
    };
    return {
      issuer: null,
      authorizationEndpoint: requiredUrl(uri('authorize'), 'authorization endpoint', policy),
      tokenEndpoint: requiredUrl(uri('token'), 'token endpoint', policy),
      jwksUri: null,
      revocationEndpoint: optionalUrl(uri('revoke'), 'revocation endpoint', policy),
      tokenEndpointAuthMethods: [],
      tokenEndpointAuthSigningAlgs: [],
      codeChallengeMethods: [],
      capabilities: [],
      scopesSupported: [],
      source: 'metadata',
    };
  }
  throw invalid('metadata has no oauth-uris extension');
}

/** An endpoint we refuse to call is the answer, not a reason to try the other document. */
function isRefusedEndpoint(error: unknown): boolean {
  return (
    error instanceof ChartsideError &&
    (error.code === 'insecure_endpoint' || error.code === 'ehr_endpoint_not_allowed')
  );
}

/**
 * Every discovered endpoint is checked when the document is accepted (and again by the outbound
 * guard when called): for production sources, no private, loopback, link-local or metadata hosts.
 */
function requiredUrl(value: unknown, what: string, policy: UrlPolicy): string {
  if (typeof value !== 'string' || value === '') throw invalid(`no ${what}`);
  return assertAllowedUrl(value, policy, what).href;
}

function optionalUrl(value: unknown, what: string, policy: UrlPolicy): string | null {
  if (value === undefined || value === null) return null;
  return requiredUrl(value, what, policy);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string): Error {
  return new Error(`invalid SMART discovery document: ${reason}`);
}

/**
 * Why a discovery failed, in our own words (never the EHR's response body): what the console
 * and the go-live check show.
 */
export function describeDiscoveryFailure(error: unknown): string {
  if (error instanceof ChartsideError && error.code === 'insecure_endpoint') return error.message;
  if (error instanceof ChartsideError && error.code === 'discovery_failed') {
    const cause = error.cause as { smartConfiguration?: unknown; metadata?: unknown } | undefined;
    return `${error.message} .well-known/smart-configuration: ${reason(cause?.smartConfiguration)}. /metadata: ${reason(cause?.metadata)}.`;
  }
  return `${reason(error)}.`;
}

/** Our own messages only: they name what went wrong, never what the server sent. */
function reason(error: unknown): string {
  if (error instanceof OutboundError) return error.message;
  if (error instanceof ChartsideError) return error.message;
  if (
    error instanceof Error &&
    /^(invalid SMART discovery document|smart-configuration answered|metadata answered)/.test(error.message)
  )
    return error.message;
  return 'unexpected error';
}
