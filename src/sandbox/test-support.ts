/**
 * Helpers for the sandbox's own tests: a provider app registration like the guide's, a sandbox
 * on an ephemeral port, and small HTTP helpers (no redirects followed, cookies by hand).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { SandboxAppRegistration, SandboxOptions } from './config.ts';
import { type RunningSandbox, startSandbox } from './index.ts';

export const CLIENT_ID = '52f33973-6b8a-4a61-9b9d-0b2e4c1d7a10';
export const APPLICATION_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
export const SECRET = 'se+cret/with:odd=chars';
export const REDIRECT_URI = 'http://localhost:3000/api/auth/smart/launch-callback';
export const LAUNCH_URI = 'http://localhost:3000/api/auth/smart/launch/org_123';
export const PATIENT_WILMA = '12724065';
export const ENCOUNTER_WILMA = '97953483';

/** Scopes the guide's gateway requests (Medblocks "Scopes" row). */
export const GUIDE_SCOPES =
  'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access';

export function providerApp(overrides: Partial<SandboxAppRegistration> = {}): SandboxAppRegistration {
  return {
    name: 'medblocks',
    applicationId: APPLICATION_ID,
    clientId: CLIENT_ID,
    secret: SECRET,
    redirectUris: [REDIRECT_URI, 'https://dev.app.medblocks.com/api/auth/smart/launch-callback'],
    launchUri: LAUNCH_URI,
    accessType: 'offline',
    scopes: ['user/Patient.read', 'user/Encounter.read', 'user/Observation.read', 'patient/Observation.read'],
    ...overrides,
  };
}

export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  return startSandbox({ port: 0, testControls: true, apps: [providerApp()], ...options });
}

/**
 * The sandbox of the enclosing `describe` block: started (by `start`) before its first test and
 * closed after its last. The object is filled in once the sandbox listens, so read it in tests
 * and in hooks declared after this call.
 */
export function sandboxForSuite(start: () => Promise<RunningSandbox>): RunningSandbox {
  const sandbox = {} as RunningSandbox;
  before(async () => {
    Object.assign(sandbox, await start());
  });
  after(() => sandbox.close());
  return sandbox;
}

export interface TestLaunch {
  iss: string;
  launch: string;
  launch_url: string;
  session_cookie: string;
}

export async function testLaunch(
  sandbox: RunningSandbox,
  body: Record<string, unknown> = {},
): Promise<TestLaunch> {
  const response = await fetch(`${sandbox.origin}/_test/launch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, patient: PATIENT_WILMA, ...body }),
  });
  if (response.status !== 200)
    throw new Error(`/_test/launch answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as TestLaunch;
}

export function authorizeUrl(
  sandbox: RunningSandbox,
  params: Record<string, string>,
  persona = 'provider',
): string {
  const path = `/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/personas/${persona}/authorize`;
  return `${sandbox.origin}${path}?${new URLSearchParams(params).toString()}`;
}

export function hostsTokenUrl(sandbox: RunningSandbox): string {
  const host = new URL(sandbox.origin).host;
  return `${sandbox.origin}/tenants/${sandbox.tenant}/hosts/${host}/protocols/oauth2/profiles/smart-v1/token`;
}

export function plainTokenUrl(sandbox: RunningSandbox): string {
  return `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/token`;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** RFC 6749 2.3.1: form-encode id and secret, then Base64 the pair. */
export function basicAuth(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, redirect: 'manual' });
}

export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/** The authorize request parameters of a proper EHR launch (docs/cerner.md §3 table). */
export function launchAuthorizeParams(
  launch: TestLaunch,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: GUIDE_SCOPES,
    state: 'state-123',
    aud: launch.iss,
    launch: launch.launch,
    ...extra,
  };
}

/** Query parameters of a redirect response's Location. */
export function redirectParams(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location).searchParams;
}

export interface IssuedCode {
  code: string;
  verifier: string;
  launch: TestLaunch;
}

/** Launch (test control) + authorize with S256 PKCE; returns the code. */
export async function issueCode(
  sandbox: RunningSandbox,
  launchBody: Record<string, unknown> = {},
  extra: Record<string, string> = {},
): Promise<IssuedCode> {
  const launch = await testLaunch(sandbox, launchBody);
  const { verifier, challenge } = pkcePair();
  const params = launchAuthorizeParams(launch, {
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  const response = await get(authorizeUrl(sandbox, params), { cookie: launch.session_cookie });
  const code = redirectParams(response).get('code');
  if (!code) throw new Error(`no code in ${response.headers.get('location')}`);
  return { code, verifier, launch };
}

export function jwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const part = token.split('.')[index];
  if (part === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Cookie header value from a response's Set-Cookie headers. */
export function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Prefix of token-endpoint URNs (docs/cerner.md §8). */
export const TOKEN_URN = 'urn:cerner:error:authorization-server:oauth2:token:';

/** POSTs a token request (Basic auth by default) and parses the JSON answer. */
export async function exchange(
  sandbox: RunningSandbox,
  form: Record<string, string>,
  headers: Record<string, string> = { authorization: basicAuth(CLIENT_ID, SECRET) },
  url = hostsTokenUrl(sandbox),
) {
  const response = await postForm(url, form, headers);
  const body = (await response.json()) as Record<string, unknown>;
  return { response, body };
}

/** An authorization_code grant form with redirect_uri and the PKCE verifier. */
export function codeForm(code: string, verifier: string, extra: Record<string, string> = {}) {
  return {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    ...extra,
  };
}

/** A refresh_token grant form. */
export function refreshForm(refreshToken: string): Record<string, string> {
  return { grant_type: 'refresh_token', refresh_token: refreshToken };
}

/** Asserts Cerner's token error shape: `{error, error_uri}` only, with the URN and client in error_uri. */
export function assertTokenError(
  sandbox: RunningSandbox,
  result: { response: Response; body: Record<string, unknown> },
  error: string,
  urn: string,
  client = CLIENT_ID,
) {
  assert.equal(result.response.status, error === 'invalid_client' ? 401 : 400);
  assert.equal(result.response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(Object.keys(result.body).sort(), ['error', 'error_uri']);
  assert.equal(result.body.error, error);
  const errorUri = new URL(String(result.body.error_uri));
  assert.equal(errorUri.pathname.split('/')[2], encodeURIComponent(urn));
  assert.deepEqual(
    [...errorUri.searchParams],
    [
      ['client', client],
      ['tenant', sandbox.tenant],
    ],
  );
}
