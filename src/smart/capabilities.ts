/**
 * What a launch is about to ask of the EHR, held against what the EHR's SMART configuration says
 * it offers. Every mismatch is found before the clinician is sent to the EHR: the launch page
 * shows them (`ehr_capability_mismatch`), and so do the console's connection check and
 * `chartside doctor`, from the same function.
 *
 * An empty list in the document (a SMART v1 server, or the CapabilityStatement fallback, which
 * carries no capabilities) says nothing, and nothing is refused for it; a list that leaves out
 * what the connection needs is a mismatch.
 * @see https://hl7.org/fhir/smart-app-launch/conformance.html (SMART App Launch 2.2 §Conformance)
 */
import type { ClientAuthMethod } from '../config/index.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/signing-keys.ts';
import type { SmartConfiguration } from './discovery.ts';
import { summarizeScopes, translateScopes } from './scopes.ts';

export type LaunchMode = 'ehr' | 'standalone';

/** The parts of a launch the EHR's configuration can rule on. */
export interface LaunchShape {
  readonly mode: LaunchMode;
  readonly authMethod: ClientAuthMethod;
  /** The connection's assertion algorithm; null: the EHR's choice ({@link assertionAlgorithm}). */
  readonly signingAlg: SigningAlgorithm | null;
  /** The scopes as the connection holds them (the EHR-launch form). */
  readonly scopes: string;
}

export interface Mismatch {
  /** The discovery field or capability at odds with the connection. */
  readonly field: string;
  readonly message: string;
}

type Check = (smart: SmartConfiguration, shape: LaunchShape) => Mismatch | null;

const has = (list: readonly string[] | undefined, value: string) => (list ?? []).includes(value);
const says = (list: readonly string[] | undefined) => (list ?? []).length > 0;

/** SMART 2.2 §Conformance, "Capabilities": `launch-ehr`, `launch-standalone`. */
const launchMode: Check = (smart, { mode }) => {
  if (mode === 'ehr') {
    if (!says(smart.capabilities) || has(smart.capabilities, 'launch-ehr')) return null;
    return {
      field: 'capabilities',
      message: 'The EHR does not advertise EHR launch (capability launch-ehr).',
    };
  }
  // A standalone launch needs the EHR to say it takes one: there is no `launch` to vouch for it.
  if (has(smart.capabilities, 'launch-standalone')) return null;
  return {
    field: 'capabilities',
    message:
      'The EHR does not advertise standalone launch (capability launch-standalone): open the app from the EHR instead.',
  };
};

/** SMART 2 requires PKCE S256 of every app, and Chartside always sends it (RFC 7636 §4.2). */
const pkce: Check = (smart) => {
  const methods = smart.codeChallengeMethods;
  if (!says(methods) || has(methods, 'S256')) return null;
  return {
    field: 'code_challenge_methods_supported',
    message: `The EHR does not offer PKCE S256 (it lists ${methods.join(', ')}); Chartside always uses S256.`,
  };
};

/**
 * SMART 2.2 §Client Authentication: symmetric is `client_secret_basic` and the
 * `client-confidential-symmetric` capability; asymmetric is `private_key_jwt` and
 * `client-confidential-asymmetric`. Either list leaving the method out is a mismatch.
 */
const clientAuthentication: Check = (smart, { authMethod }) => {
  const methods = smart.tokenEndpointAuthMethods;
  const capability =
    authMethod === 'private_key_jwt' ? 'client-confidential-asymmetric' : 'client-confidential-symmetric';
  if (says(methods) && !has(methods, authMethod)) {
    return {
      field: 'token_endpoint_auth_methods_supported',
      message: `The connection authenticates with ${authMethod}, but the EHR’s token endpoint accepts only ${methods.join(', ')}.`,
    };
  }
  if (says(smart.capabilities) && !has(smart.capabilities, capability)) {
    return {
      field: 'capabilities',
      message: `The connection authenticates with ${authMethod}, but the EHR does not advertise ${capability}.`,
    };
  }
  return null;
};

/** SMART 2.2 §Asymmetric: RS384 or ES384, from `token_endpoint_auth_signing_alg_values_supported`. */
const signingAlgorithm: Check = (smart, { authMethod, signingAlg }) => {
  const advertised = smart.tokenEndpointAuthSigningAlgs;
  if (authMethod !== 'private_key_jwt' || !says(advertised)) return null;
  if (signingAlg && !has(advertised, signingAlg)) {
    return {
      field: 'token_endpoint_auth_signing_alg_values_supported',
      message: `The connection signs its client assertion with ${signingAlg}, but the EHR accepts only ${advertised.join(', ')}.`,
    };
  }
  if (!signingAlg && !SIGNING_ALGORITHMS.some((alg) => has(advertised, alg))) {
    return {
      field: 'token_endpoint_auth_signing_alg_values_supported',
      message: `The EHR accepts client assertions signed with ${advertised.join(', ')} only; Chartside signs RS384 or ES384.`,
    };
  }
  return null;
};

/**
 * SMART 2.2 §Scopes: `permission-v1` / `permission-v2` say which resource-scope syntax the EHR
 * takes; granular scopes (`?category=`) exist only in v2.
 */
const scopeSyntax: Check = (smart, { scopes }) => {
  const { syntaxes, granular } = summarizeScopes(scopes);
  const capabilities = smart.capabilities;
  if (!says(capabilities)) return null;
  const v1 = has(capabilities, 'permission-v1');
  const v2 = has(capabilities, 'permission-v2');
  if (granular.length > 0 && !v2) {
    return {
      field: 'capabilities',
      message: `The EHR does not advertise SMART v2 scopes (permission-v2), so it cannot take granular scopes: ${granular.join(' ')}.`,
    };
  }
  if (syntaxes.has('v2') && !v2 && v1) {
    return {
      field: 'capabilities',
      message: `The EHR advertises SMART v1 scopes only (permission-v1). Request “${translateScopes(scopes, 'v1')}” instead.`,
    };
  }
  if (syntaxes.has('v1') && v2 && !v1) {
    return {
      field: 'capabilities',
      message: `The EHR advertises SMART v2 scopes only (permission-v2). Request “${translateScopes(scopes, 'v2')}” instead.`,
    };
  }
  return null;
};

const CHECKS: readonly Check[] = [launchMode, pkce, clientAuthentication, signingAlgorithm, scopeSyntax];

/** Everything about `shape` the EHR's configuration says it will not take; empty: none. */
export function capabilityMismatches(smart: SmartConfiguration, shape: LaunchShape): Mismatch[] {
  return CHECKS.map((check) => check(smart, shape)).filter((found): found is Mismatch => found !== null);
}

/**
 * The algorithm of our client assertions: the connection's, else RS384 unless the EHR lists
 * only ES384 (SMART: a client SHALL be able to sign with both; RS384 is the one Cerner and
 * Epic both accept, docs/cerner.md §4 and §12).
 */
export function assertionAlgorithm(
  configured: SigningAlgorithm | null,
  advertised: readonly string[] | undefined,
): SigningAlgorithm {
  if (configured) return configured;
  if (has(advertised, 'ES384') && !has(advertised, 'RS384')) return 'ES384';
  return 'RS384';
}

/**
 * Requested scopes the EHR's `scopes_supported` does not list. Not a refusal: the list is
 * RECOMMENDED and servers often publish a subset; the console shows it as a hint.
 */
export function scopesNotAdvertised(smart: SmartConfiguration, scopes: string): string[] {
  const supported = smart.scopesSupported ?? [];
  if (supported.length === 0) return [];
  return summarizeScopes(scopes).scopes.filter((scope) => !supported.includes(scope));
}

/** Whether a standalone launch may ask for an encounter too (capability `context-standalone-encounter`). */
export function offersStandaloneEncounter(smart: SmartConfiguration): boolean {
  return has(smart.capabilities, 'context-standalone-encounter');
}
