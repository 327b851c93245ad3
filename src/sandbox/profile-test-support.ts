/**
 * Helpers for tests of the Epic and SMART profiles (docs/sandbox-profiles.md): registrations,
 * a sandbox with them, launches through the test controls, and the authorize round trip.
 * Gateway tests can use them too (test/ may import both systems).
 */

import type { SandboxOptions } from './config.ts';
import { type RunningSandbox, startSandbox } from './index.ts';
import type { EpicAppRegistration, SmartAppRegistration } from './profile-config.ts';
import { get, pkcePair, redirectParams } from './test-support.ts';

export const PROFILE_REDIRECT_URI = 'http://localhost:3000/api/auth/smart/launch-callback';
export const PROFILE_LAUNCH_URI = 'http://localhost:3000/api/auth/smart/launch/org_123';
export const EPIC_NONPROD_CLIENT_ID = '5c8f5a9e-6b0d-4d8e-9c31-epic-nonprod';
export const EPIC_PROD_CLIENT_ID = '0a7d2f3c-1e4b-4f6a-8b2d-epic-prod';
export const EPIC_NONPROD_SECRET = 'epic-nonprod-secret';
export const EPIC_PROD_SECRET = 'epic-prod-secret';
export const SMART_CLIENT_ID = 'smart-app-7f3e';
export const SMART_SECRET = 'smart+secret/with:odd=chars';

/** An app registered on Epic's developer site, with both client ids and client secrets. */
export function epicApp(overrides: Partial<EpicAppRegistration> = {}): EpicAppRegistration {
  return {
    name: 'Chartside (Epic)',
    nonProduction: { clientId: EPIC_NONPROD_CLIENT_ID, secret: EPIC_NONPROD_SECRET },
    production: { clientId: EPIC_PROD_CLIENT_ID, secret: EPIC_PROD_SECRET },
    redirectUris: [PROFILE_REDIRECT_URI],
    launchUri: PROFILE_LAUNCH_URI,
    scopes: ['user/Encounter.read', 'user/Observation.read', 'user/Patient.read', 'user/Practitioner.read'],
    ...overrides,
  };
}

export function smartApp(overrides: Partial<SmartAppRegistration> = {}): SmartAppRegistration {
  return {
    name: 'Chartside (SMART)',
    clientId: SMART_CLIENT_ID,
    secret: SMART_SECRET,
    redirectUris: [PROFILE_REDIRECT_URI],
    launchUri: PROFILE_LAUNCH_URI,
    scopes: ['user/*.rs', 'patient/*.rs'],
    ...overrides,
  };
}

export function startProfileSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    testControls: true,
    apps: [],
    epicApps: [epicApp()],
    smartApps: [smartApp()],
    ...options,
  });
}

export interface ProfileTestLaunch {
  iss: string;
  launch: string;
  launch_url: string;
  session_cookie: string;
}

/** `POST /_test/launch` for any profile's app. */
export async function launchApp(
  sandbox: RunningSandbox,
  clientId: string,
  body: Record<string, unknown> = {},
): Promise<ProfileTestLaunch> {
  const response = await fetch(`${sandbox.origin}/_test/launch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, patient: '12724065', ...body }),
  });
  if (response.status !== 200)
    throw new Error(`/_test/launch answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ProfileTestLaunch;
}

/** The authorize URL of a FHIR base, read from its smart-configuration as any client would. */
export async function discovered(fhirBase: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${fhirBase}/.well-known/smart-configuration`);
  if (response.status !== 200) throw new Error(`smart-configuration answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

/** An authorization_code grant form with the redirect URI and the PKCE verifier (any extra fields after). */
export function profileCodeForm(
  code: string,
  verifier: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: PROFILE_REDIRECT_URI,
    code_verifier: verifier,
    ...extra,
  };
}

export interface ProfileCode {
  code: string;
  verifier: string;
  state: string;
  location: URL;
}

/** Authorize with S256 PKCE; returns the code from the redirect. */
export async function authorizeCode(
  authorizeEndpoint: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<ProfileCode> {
  const { verifier, challenge } = pkcePair();
  const query = new URLSearchParams({
    response_type: 'code',
    redirect_uri: PROFILE_REDIRECT_URI,
    state: 'state-xyz',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  const response = await get(`${authorizeEndpoint}?${query.toString()}`, headers);
  const found = redirectParams(response);
  const code = found.get('code');
  if (!code) throw new Error(`no code in ${response.headers.get('location')}`);
  return {
    code,
    verifier,
    state: found.get('state') ?? '',
    location: new URL(response.headers.get('location') ?? ''),
  };
}
