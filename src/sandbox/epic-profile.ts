/**
 * The Epic-shaped profile's policy (docs/sandbox-profiles.md, "Epic"): what Epic's discovery
 * says, which scopes it grants (the app's registered APIs, whatever was asked; unknown scopes are
 * ignored, not refused), the token response's extras, the id_token, and Epic's opaque values.
 * Each rule names its public source; where Epic's behaviour is not public the choice is marked
 * "not public" here and in the document.
 */
import { createHash, randomBytes } from 'node:crypto';
import { findUser } from './data.ts';
import { profileCapabilityStatement } from './profile-metadata.ts';
import type { ProfileClient, ProfilePolicy, ProfileServer, ScopeRequest } from './profile-types.ts';
import type { GrantContext } from './state.ts';

/**
 * The capability list of Epic's R4 smart-configuration as captured from fhir.epic.com in 2026
 * (api-evangelist/epic-systems, authentication/epic-systems-authentication.yml).
 */
const EPIC_CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'context-banner',
  'context-style',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'permission-offline',
  'permission-patient',
  'permission-user',
  'permission-v1',
  'permission-v2',
  'sso-openid-connect',
  'authorize-post',
];

/** Scopes Epic answers for but does not repeat in the token response's `scope` (client-js #138). */
const NOT_ECHOED = new Set(['fhirUser', 'profile', 'offline_access', 'online_access', 'launch/encounter']);
/** Echoed when asked for, after the resource scopes, in this order (a published Epic token response). */
const ECHOED_CONTEXT = ['launch', 'launch/patient', 'openid'];
/** The login department sent when a launch names none: an invented Epic-style FHIR id. */
export const EPIC_DEFAULT_LOGIN_DEPARTMENT = 'eDq2Lm0wVgGx.kR4pTn1aZw3';

/** An Epic-style opaque id for a fixture id: the DSTU2 patient id, a user's `sub`. */
export function epicStyleId(prefix: string, value: string): string {
  const digest = createHash('sha256').update(`${prefix}:${value}`).digest('base64url');
  return `T${digest.slice(0, 42).replace(/_/g, '.')}B`;
}

/** Epic's codes, launch values and tokens are long opaque strings (128 characters published). */
function epicOpaque(): string {
  return randomBytes(96).toString('base64url');
}

function grantScopes({ requested, client, launch, patientId }: ScopeRequest): string[] {
  // Epic grants the app's registered APIs, whatever the request asks for (Epic's published token
  // response lists more than was requested); unknown scopes are ignored.
  const granted = [...client.scopes].sort();
  for (const scope of ECHOED_CONTEXT) {
    if (!requested.includes(scope)) continue;
    if (scope === 'launch' && launch === undefined) continue;
    if (scope === 'launch/patient' && patientId === undefined) continue;
    granted.push(scope);
  }
  for (const scope of NOT_ECHOED) {
    if (requested.includes(scope)) granted.push(scope);
  }
  return granted;
}

function practitionerUrl(server: ProfileServer, username: string): string | undefined {
  const user = findUser(username);
  return user ? `${server.urls.fhir}/Practitioner/${user.practitionerId}` : undefined;
}

function contextFields(
  grant: GrantContext,
  server: ProfileServer,
  authorizeState: string | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  // Epic repeats the authorize request's state in the token response (published response).
  if (authorizeState !== undefined) fields.state = authorizeState;
  if (grant.patientId !== undefined) {
    fields['__epic.dstu2.patient'] = epicStyleId('dstu2-patient', grant.patientId);
    fields.patient = grant.patientId;
  }
  const extras = grant.extras ?? {};
  if (grant.encounterId !== undefined) fields.encounter = grant.encounterId;
  if (extras.appointment !== undefined) fields.appointment = extras.appointment;
  if (extras.location !== undefined) fields.location = extras.location;
  if (extras.loginDepartment !== undefined) fields.loginDepartment = extras.loginDepartment;
  // A string, not a boolean, in Epic's published token response.
  fields.need_patient_banner = String(grant.needPatientBanner);
  fields.smart_style_url = server.urls.style;
  return fields;
}

export const EPIC_POLICY: ProfilePolicy = {
  profile: 'epic',
  displayName: 'Epic',
  // expires_in 3600 in Epic's published token response.
  accessTokenLifetimeSeconds: 3600,
  // The clinician's login department comes with every EHR launch (published token response).
  launchDefaults: { needPatientBanner: true, extras: { loginDepartment: EPIC_DEFAULT_LOGIN_DEPARTMENT } },
  // "Health care organizations can optionally configure their system to require the aud parameter".
  audienceRequired: false,
  launchScopeRequired: false,
  // Not public whether Epic requires PKCE of public clients; the sandbox does, as for Cerner.
  pkceRequired: (client: ProfileClient) => !client.confidential,
  // Epic's smart-configuration lists client_secret_post.
  clientSecretPost: true,
  grantScopes,
  echoedScopes: (granted) => granted.filter((scope) => !NOT_ECHOED.has(scope)),
  // Epic gives clinicians no patient picker in a standalone launch (not public; see the document).
  picksPatient: () => false,
  refreshKind: (requested, client) =>
    client.refreshTokens && requested.includes('offline_access') ? 'offline' : undefined,
  // Not public: the sandbox answers a refresh without a new refresh token.
  rotatesRefreshTokens: false,
  narrowsOnRefresh: false,
  contextFields,
  refreshFields: () => ({}),
  idTokenOnRefresh: false,
  // exp - iat = 300 in Epic's published id_token.
  idTokenLifetimeSeconds: 300,
  idTokenClaims: (grant, server) => {
    const claims: Record<string, unknown> = { sub: epicStyleId('user', grant.username) };
    const fhirUser = practitionerUrl(server, grant.username);
    if (fhirUser && grant.scopes.includes('fhirUser')) claims.fhirUser = fhirUser;
    return claims;
  },
  smartConfiguration: (server) => ({
    issuer: server.urls.oidcIssuer,
    authorization_endpoint: server.urls.authorize,
    token_endpoint: server.urls.token,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt'],
    // Not in the captures; Epic documents RS384 and ES384 client assertions.
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ],
    scopes_supported: ['epic.scanning.dmsusername', 'fhirUser', 'launch', 'openid', 'profile'],
    response_types_supported: ['code'],
    capabilities: EPIC_CAPABILITIES,
    code_challenge_methods_supported: ['S256'],
  }),
  openidConfiguration: (server) => ({
    issuer: server.urls.oidcIssuer,
    authorization_endpoint: server.urls.authorize,
    token_endpoint: server.urls.token,
    jwks_uri: server.urls.jwks,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'fhirUser'],
  }),
  capabilityStatement: (server) =>
    profileCapabilityStatement(server, { name: 'Epic', publisher: 'Epic Systems Corporation' }),
  style: {
    color_background: '#f2f2f2',
    color_error: '#c1272d',
    color_highlight: '#00aaff',
    color_modal_backdrop: '',
    color_success: '#86b540',
    color_text: '#000000',
    dim_border_radius: '0px',
    dim_font_size: '10px',
    dim_spacing_size: '',
    font_family_body: 'Arial, sans-serif',
    font_family_heading: "'Segoe UI', Arial, sans-serif",
  },
  opaque: () => epicOpaque(),
};
