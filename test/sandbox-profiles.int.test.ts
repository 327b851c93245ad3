/**
 * The gateway against the local sandbox's Epic and SMART profiles (docs/sandbox-profiles.md),
 * through test/support/profile-stack.ts: the profiles are usable by a real client as they are.
 * The gateway's own launch tests for every vendor live with the gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  driveProfileLaunch,
  launchContext,
  type ProfileStack,
  startProfileStack,
} from './support/profile-stack.ts';

interface Recorded {
  endpoint: string;
  form: Record<string, string> | null;
  headers: Record<string, string>;
}

async function recorded(stack: ProfileStack, profile: 'epic' | 'smart'): Promise<Recorded[]> {
  const response = await fetch(`${stack.sandbox.origin}/_test/requests?profile=${profile}`);
  return ((await response.json()) as { requests: Recorded[] }).requests;
}

async function testControl(
  stack: ProfileStack,
  path: string,
  body: unknown,
): Promise<Record<string, string>> {
  const response = await fetch(`${stack.sandbox.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Record<string, string>;
}

describe('the gateway launches into the sandbox’s Epic and SMART profiles', () => {
  let stack: ProfileStack;
  before(async () => {
    stack = await startProfileStack();
  });
  after(() => stack?.close());

  it('Epic EHR launch: Epic’s extras reach the launch context, need_patient_banner "true" read as true', async () => {
    const launch = await testControl(stack, '/_test/launch', {
      client_id: 'gateway-epic-nonprod',
      patient: '12724065',
      appointment: 'eAPPT1',
    });
    const { authorizeUrl, mbLaunch } = await driveProfileLaunch(launch.launch_url as string);
    assert.equal(authorizeUrl.searchParams.get('aud'), stack.sandbox.epic.nonProduction.fhirBaseUrl);
    assert.equal(authorizeUrl.searchParams.get('launch'), launch.launch);
    const context = await launchContext(stack, mbLaunch);
    assert.equal(context.status, 'ready');
    assert.equal(context.patient, 'Patient/12724065');
    assert.equal(context.vendor, 'epic');
    assert.equal(context.need_patient_banner, true);
    const extra = context.extra_context as Record<string, string>;
    assert.equal(extra.appointment, 'eAPPT1');
    assert.equal(typeof extra.loginDepartment, 'string');
    assert.match(extra['__epic.dstu2.patient'] ?? '', /^T/);
    const token = (await recorded(stack, 'epic')).filter((request) => request.endpoint === 'token').at(-1);
    assert.match(token?.headers.authorization ?? '', /^Basic /);
  });

  it('Epic with private_key_jwt: ES384 and a jku header, verified by the sandbox', async () => {
    await stack.connect('epic', {
      authMethod: 'private_key_jwt',
      signingAlg: 'ES384',
      assertionJku: true,
      environment: 'sandbox',
    });
    const launch = await testControl(stack, '/_test/launch', {
      client_id: 'gateway-epic-nonprod',
      patient: '12724066',
    });
    const { mbLaunch } = await driveProfileLaunch(launch.launch_url as string);
    assert.equal((await launchContext(stack, mbLaunch)).patient, 'Patient/12724066');
    const token = (await recorded(stack, 'epic')).filter((request) => request.endpoint === 'token').at(-1);
    const assertion = token?.form?.client_assertion ?? '';
    const header = JSON.parse(
      Buffer.from(assertion.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as Record<string, string>;
    assert.equal(header.alg, 'ES384');
    assert.equal(header.jku, `${stack.gatewayUrl}/api/auth/.well-known/jwks`);
  });

  it('SMART standalone launch with the patient picked, then DELETE revokes at the revocation endpoint', async () => {
    const { session_cookie } = await testControl(stack, '/_test/sessions', { patient: '12724066' });
    const first = `${stack.gatewayUrl}/api/auth/smart/standalone/${stack.orgId}?iss=${encodeURIComponent(stack.sandbox.smart.fhirBaseUrl)}`;
    const { authorizeUrl, mbLaunch } = await driveProfileLaunch(first, session_cookie);
    assert.equal(authorizeUrl.searchParams.get('launch'), null);
    assert.match(authorizeUrl.searchParams.get('scope') ?? '', /(^| )launch\/patient( |$)/);
    const context = await launchContext(stack, mbLaunch);
    assert.equal(context.patient, 'Patient/12724066');
    assert.equal(context.encounter, null);
    assert.equal(context.need_patient_banner, false);
    assert.equal(context.tenant, 'chartside-smart-sandbox');
    const ended = await fetch(`${stack.gatewayUrl}/launch-contexts/${mbLaunch}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    assert.equal(ended.status, 200);
    const revokes = (await recorded(stack, 'smart')).filter((request) => request.endpoint === 'revoke');
    assert.deepEqual(revokes.map((request) => request.form?.token_type_hint).sort(), [
      'access_token',
      'refresh_token',
    ]);
  });
});
