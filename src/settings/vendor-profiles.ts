/**
 * What Chartside assumes per EHR vendor before it has read the EHR's own SMART configuration:
 * the scopes a new connection requests, the client authentication it starts with, which scope
 * forms the vendor takes, and what the console calls things. Everything the EHR advertises
 * (capabilities, PKCE methods, client authentication methods and algorithms, scopes) is checked
 * per launch against the discovered document (src/smart/capabilities.ts), not here: a profile
 * holds only what discovery cannot say. Each rule names where it comes from.
 */
import type { ClientAuthMethod } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { splitScopes, summarizeScopes } from '../smart/scopes.ts';
import type { Environment, Vendor } from './fhir-sources.ts';

export interface VendorProfile {
  /** What a new connection requests: the Scopes row until someone changes it. */
  readonly defaultScopes: string;
  readonly defaultAuthMethod: ClientAuthMethod;
  /** Why wildcard resource scopes (`patient/*.rs`) are refused, or null when the vendor takes them. */
  readonly noWildcards: string | null;
  /** Where the app is registered and what the console calls each environment's client. */
  readonly registration: {
    readonly where: string;
    readonly clientIdHint: string;
    readonly environments: Readonly<Record<Environment, string>>;
  };
}

export const VENDOR_PROFILES: Readonly<Record<Vendor, VendorProfile>> = {
  cerner: {
    // The guide's API Access ticks, in SMART v1 syntax (Code Console's default SMART version);
    // online_access for a refresh token bound to the user's session (docs/cerner.md §3, §7).
    defaultScopes:
      'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access',
    // The guide's Cerner Central system account issues a secret (docs/cerner.md §4).
    defaultAuthMethod: 'client_secret_basic',
    // "Wildcards such as patient/*.read are not supported" (docs/cerner.md §3, fhir.cerner.com/authorization).
    noWildcards: 'Wildcard scopes are not supported by Cerner; list each resource.',
    registration: {
      where: 'the Cerner Code Console',
      clientIdHint: 'From the application detail page on the Code Console.',
      environments: { sandbox: 'Sandbox', production: 'Production' },
    },
  },
  epic: {
    // Epic grants what the app's registration selects. A refresh token comes to a confidential
    // app that asks for offline_access (Epic does not echo it in `scope`: peers-and-libs.md §B.4,
    // client-js#138); online_access is not Epic's (fhir.epic.com OAuth 2.0 Specification).
    defaultScopes:
      'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read offline_access',
    // Epic recommends JWT client authentication over secrets for confidential apps, and
    // requires a JWK Set URL for it (fhir.epic.com OAuth 2.0 Specification, "JWKS URLs").
    defaultAuthMethod: 'private_key_jwt',
    // Epic documents per-resource scopes only; what it grants follows the APIs selected in the
    // app's registration, so a wildcard request would read as access it does not give.
    noWildcards: 'Wildcard scopes are not documented by Epic; list each resource.',
    registration: {
      where: 'Epic on FHIR (Build Apps)',
      clientIdHint:
        'Epic issues a Non-Production Client ID and a Client ID for production: enter each for its environment.',
      environments: { sandbox: 'Non-production', production: 'Production' },
    },
  },
  smart: {
    // SMART App Launch 2 syntax (`.rs`): a server that advertises only permission-v1 is told,
    // on its launch page and the connection check, which v1 scopes to request instead.
    defaultScopes:
      'openid fhirUser launch user/Patient.rs user/Encounter.rs user/Observation.rs online_access',
    defaultAuthMethod: 'client_secret_basic',
    // SMART defines `patient/*.rs`, `user/*.cruds` (scopes-and-launch-context.html, "wildcard scopes").
    noWildcards: null,
    registration: {
      where: 'the EHR’s app registration',
      clientIdHint: 'Issued by the EHR’s app registration.',
      environments: { sandbox: 'Sandbox', production: 'Production' },
    },
  },
};

/** The default scopes of a vendor's new connection. */
export function defaultScopesFor(vendor: Vendor): string {
  return VENDOR_PROFILES[vendor].defaultScopes;
}

/**
 * A connection's scopes, checked for what no launch of this vendor could use: characters
 * outside RFC 6749 §3.3's scope-token, wildcards the vendor refuses, and v1 and v2 resource
 * scopes mixed (an EHR answers one syntax: docs/cerner.md §3, SMART 2.2 §Scopes "v1 to v2").
 * Returns them space-separated, duplicates dropped.
 */
export function normalizeScopes(value: string, vendor: Vendor): string {
  const scopes = splitScopes(value);
  const invalid = (message: string) => new ChartsideError('invalid_data', { param: 'scopes', message });
  if (scopes.length === 0) throw invalid('scopes must not be empty.');
  if (scopes.some((scope) => !/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)))
    throw invalid('scopes contain a character that is not allowed.');
  const summary = summarizeScopes(value);
  const refusal = VENDOR_PROFILES[vendor].noWildcards;
  if (refusal && summary.wildcards.length > 0) throw invalid(refusal);
  if (summary.syntaxes.size > 1) {
    throw invalid(
      'scopes mix SMART v1 (.read, .write) and v2 (.rs, .cruds) resource scopes; use one syntax, the one the app is registered with.',
    );
  }
  return [...new Set(scopes)].join(' ');
}
