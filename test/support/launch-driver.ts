/**
 * Drives an EHR launch the way a browser would, one redirect at a time, so each hop can be
 * asserted: sandbox launcher → gateway launch → EHR authorize → gateway callback → app.
 */
import assert from 'node:assert/strict';
import { type SandboxLaunch, sandboxLaunch } from './sandbox-controls.ts';
import type { Stack } from './stack.ts';

/** The nine parameters of a SMART EHR-launch authorize request, sorted (SMART App Launch §2.1.4). */
export const AUTHORIZE_PARAMETERS = [
  'aud',
  'client_id',
  'code_challenge',
  'code_challenge_method',
  'launch',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
];

/** Every field of `GET /launch-contexts/:id`, sorted: always present, null when unknown (README "App API"). */
export const LAUNCH_CONTEXT_KEYS = [
  'created_at',
  'encounter',
  'environment',
  'expires_at',
  'extra_context',
  'fhir_base_url',
  'fhir_context',
  'fhir_source',
  'fhir_user',
  'id',
  'intent',
  'need_patient_banner',
  'patient',
  'resource_type',
  'scope',
  'smart_style_url',
  'status',
  'tenant',
  'user_name',
  'vendor',
];

export interface DrivenLaunch {
  ehrLaunch: SandboxLaunch;
  /** Where the gateway sent the browser (the EHR's authorize URL). */
  authorizeUrl: URL;
  /** Where the EHR sent the browser back (our callback with code and state). */
  callbackUrl: URL;
  /** The gateway's answer to the callback. */
  callbackResponse: Response;
}

export async function startLaunch(stack: Stack, context?: Parameters<typeof sandboxLaunch>[2]) {
  const ehrLaunch = await sandboxLaunch(stack.sandbox, stack.clientId, context);
  const launchResponse = await fetch(ehrLaunch.launch_url, { redirect: 'manual' });
  assert.equal(
    launchResponse.status,
    302,
    `launch answered ${launchResponse.status}: ${await launchResponse.text()}`,
  );
  return { ehrLaunch, authorizeUrl: new URL(launchResponse.headers.get('location') as string) };
}

export async function authorizeAtEhr(authorizeUrl: URL, sessionCookie: string): Promise<URL> {
  const response = await fetch(authorizeUrl, { redirect: 'manual', headers: { cookie: sessionCookie } });
  assert.equal(response.status, 302, `authorize answered ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get('location') as string);
}

export async function driveLaunch(
  stack: Stack,
  context?: Parameters<typeof sandboxLaunch>[2],
): Promise<DrivenLaunch> {
  const { ehrLaunch, authorizeUrl } = await startLaunch(stack, context);
  const callbackUrl = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
  const callbackResponse = await fetch(callbackUrl, { redirect: 'manual' });
  return { ehrLaunch, authorizeUrl, callbackUrl, callbackResponse };
}

export function launchIdFrom(response: Response): string {
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get('location') as string);
  const id = location.searchParams.get('mb_launch');
  assert.ok(id, `no mb_launch in ${location.href}`);
  return id;
}

export async function readContext(stack: Stack, id: string, apiKey = stack.apiKey) {
  const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}
