/**
 * The generic SMART App Launch 2 profile's policy (docs/sandbox-profiles.md, "SMART"): an EHR
 * that does what SMART App Launch 2.2 (hl7.org/fhir/smart-app-launch) says and little more.
 * SMART v2 scopes only (`permission-v2`, no `permission-v1`), wildcards and granular filters,
 * PKCE S256 for every client, `aud` required, `fhirContext`, `intent`, `tenant`,
 * `need_patient_banner`, `smart_style_url`, standalone launch with a patient picker, RFC 7009
 * revocation and RFC 7662 introspection.
 */
import { randomBytes } from 'node:crypto';
import { findUser } from './data.ts';
import { profileCapabilityStatement } from './profile-metadata.ts';
import { coveredPermissions, parseScope, withPermissions } from './profile-scopes.ts';
import type { ProfilePolicy, ProfileServer, ScopeRequest } from './profile-types.ts';
import type { GrantContext } from './state.ts';

/** The `tenant` launch parameter this EHR sends (SMART App Launch 2.2, "tenant"). */
export const SMART_TENANT = 'chartside-smart-sandbox';

const CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'authorize-post',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'sso-openid-connect',
  'context-banner',
  'context-style',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'permission-offline',
  'permission-online',
  'permission-patient',
  'permission-user',
  'permission-v2',
];

const IDENTITY = new Set(['openid', 'fhirUser', 'profile']);

function grantResourceScope(scope: string, request: ScopeRequest): string | undefined {
  const wanted = parseScope(scope);
  // v1 scopes are not granted: this server does not advertise permission-v1.
  if (wanted?.syntax !== 'v2' || wanted.context === 'system') return undefined;
  if (wanted.context === 'patient' && request.patientId === undefined) return undefined;
  for (const registered of request.client.scopes) {
    const parsed = parseScope(registered);
    if (parsed?.syntax !== 'v2') continue;
    const letters = coveredPermissions(parsed, wanted);
    // Granted as asked, or narrowed to the letters the registration holds.
    if (letters.length > 0)
      return letters.length === wanted.permissions.size ? scope : withPermissions(wanted, letters);
  }
  return undefined;
}

function grantScopes(request: ScopeRequest): string[] {
  const granted: string[] = [];
  for (const scope of request.requested) {
    let grant: string | undefined;
    if (IDENTITY.has(scope)) grant = scope;
    else if (scope === 'launch') grant = request.launch ? scope : undefined;
    else if (scope === 'launch/patient') grant = request.patientId !== undefined ? scope : undefined;
    else if (scope === 'launch/encounter')
      grant = request.launch?.encounterId !== undefined ? scope : undefined;
    else if (scope === 'offline_access' || scope === 'online_access')
      grant = request.client.refreshTokens ? scope : undefined;
    else grant = grantResourceScope(scope, request);
    if (grant !== undefined && !granted.includes(grant)) granted.push(grant);
  }
  return granted;
}

function contextFields(grant: GrantContext, server: ProfileServer): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (grant.patientId !== undefined) fields.patient = grant.patientId;
  if (grant.encounterId !== undefined) fields.encounter = grant.encounterId;
  const extras = grant.extras ?? {};
  if (extras.fhirContext !== undefined && extras.fhirContext.length > 0)
    fields.fhirContext = extras.fhirContext;
  if (extras.intent !== undefined) fields.intent = extras.intent;
  fields.need_patient_banner = grant.needPatientBanner;
  fields.smart_style_url = server.urls.style;
  fields.tenant = SMART_TENANT;
  return fields;
}

function scopesSupported(): string[] {
  return [
    'openid',
    'fhirUser',
    'profile',
    'launch',
    'launch/patient',
    'launch/encounter',
    'offline_access',
    'online_access',
    'patient/*.rs',
    'user/*.rs',
    'patient/Observation.rs?category=vital-signs',
  ];
}

export const SMART_POLICY: ProfilePolicy = {
  profile: 'smart',
  displayName: 'SMART EHR',
  // "Access tokens should have a lifetime of no more than one hour" (best practices).
  accessTokenLifetimeSeconds: 3600,
  // This EHR shows its own patient banner around the app.
  launchDefaults: { needPatientBanner: false, extras: {} },
  // "aud: REQUIRED" (SMART App Launch 2.2, "Obtain authorization code").
  audienceRequired: true,
  launchScopeRequired: true,
  // "PKCE … is required for all SMART apps" (2.0); S256 only.
  pkceRequired: () => true,
  // client-confidential-symmetric is HTTP Basic only.
  clientSecretPost: false,
  grantScopes,
  echoedScopes: (granted) => [...granted],
  picksPatient: (requested) => requested.includes('launch/patient'),
  refreshKind: (requested, client) => {
    if (!client.refreshTokens) return undefined;
    if (requested.includes('offline_access')) return 'offline';
    return requested.includes('online_access') ? 'online' : undefined;
  },
  // "If a new refresh token is returned, the app SHALL discard the old one": the sandbox rotates.
  rotatesRefreshTokens: true,
  narrowsOnRefresh: true,
  contextFields: (grant, server) => contextFields(grant, server),
  refreshFields: (grant, server) => contextFields(grant, server),
  idTokenOnRefresh: true,
  idTokenLifetimeSeconds: 3600,
  idTokenClaims: (grant, server) => {
    const user = findUser(grant.username);
    const claims: Record<string, unknown> = { sub: user?.practitionerId ?? grant.username };
    if (user && (grant.scopes.includes('fhirUser') || grant.scopes.includes('profile'))) {
      claims.fhirUser = `${server.urls.fhir}/Practitioner/${user.practitionerId}`;
    }
    if (user && grant.scopes.includes('profile')) claims.name = `${user.given} ${user.family}`;
    return claims;
  },
  smartConfiguration: (server) => ({
    issuer: server.urls.oidcIssuer,
    jwks_uri: server.urls.jwks,
    authorization_endpoint: server.urls.authorize,
    grant_types_supported: ['authorization_code'],
    token_endpoint: server.urls.token,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: scopesSupported(),
    response_types_supported: ['code'],
    introspection_endpoint: server.urls.introspect,
    revocation_endpoint: server.urls.revoke,
    capabilities: CAPABILITIES,
    code_challenge_methods_supported: ['S256'],
  }),
  openidConfiguration: (server) => ({
    issuer: server.urls.oidcIssuer,
    jwks_uri: server.urls.jwks,
    authorization_endpoint: server.urls.authorize,
    token_endpoint: server.urls.token,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'fhirUser', 'profile'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'fhirUser', 'name'],
  }),
  capabilityStatement: (server) =>
    profileCapabilityStatement(server, {
      name: 'Chartside SMART sandbox',
      publisher: 'Chartside',
      version: '2.2.0',
    }),
  // The style fields SMART App Launch 2.2 defines ("Styling"), with the sandbox's own values.
  style: {
    color_background: '#f7f7f2',
    color_error: '#a12b2b',
    color_highlight: '#3a7ca5',
    color_modal_backdrop: '',
    color_success: '#3f7d3f',
    color_text: '#222222',
    dim_border_radius: '4px',
    dim_font_size: '14px',
    dim_spacing_size: '16px',
    font_family_body: "system-ui, 'Segoe UI', Roboto, sans-serif",
    font_family_heading: "system-ui, 'Segoe UI', Roboto, sans-serif",
  },
  opaque: (kind) => randomBytes(kind === 'launch' ? 16 : 32).toString('base64url'),
};
