import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAccess, grantableScopes, parseResourceScope } from './scopes.ts';
import {
  basicAuth,
  get,
  launchAuthorizeParams,
  pkcePair,
  postForm,
  providerApp,
  REDIRECT_URI,
  redirectParams,
  SECRET,
  sandboxForSuite,
  startTestSandbox,
  testLaunch,
} from './test-support.ts';

describe('SMART scope rules', () => {
  it('parses v1 and v2 resource scopes', () => {
    assert.deepEqual([...(parseResourceScope('user/Patient.read')?.permissions ?? [])], ['r', 's']);
    assert.deepEqual([...(parseResourceScope('patient/Observation.rs')?.permissions ?? [])], ['r', 's']);
    assert.equal(parseResourceScope('patient/Observation.rs')?.syntax, 'v2');
    assert.equal(parseResourceScope('patient/*.read')?.wildcard, true);
    assert.equal(parseResourceScope('user/Patient.sr'), undefined, 'v2 letters must be in cruds order');
    assert.equal(parseResourceScope('launch'), undefined);
  });

  it('grants only what the registration allows (S4.11)', () => {
    const v1 = providerApp({
      scopes: ['user/Patient.read', 'patient/Observation.read'],
      accessType: 'online',
    });
    assert.deepEqual(
      grantableScopes(
        [
          'openid',
          'launch',
          'offline_access',
          'user/Patient.read',
          'user/Patient.rs',
          'patient/Observation.read',
          'system/Patient.read',
          'x',
        ],
        v1,
        false,
      ),
      ['launch', 'openid', 'user/Patient.read'],
    );
    const v2 = providerApp({ smartVersion: 'v2', scopes: ['user/Patient.rs', 'user/Patient.read'] });
    assert.deepEqual(grantableScopes(['user/Patient.read', 'user/Patient.rs', 'offline_access'], v2, true), [
      'offline_access',
      'user/Patient.rs',
    ]);
  });

  it('decides FHIR access per interaction and context (S7)', () => {
    assert.deepEqual(decideAccess(['user/Patient.read'], 'Patient', 'search'), {
      allowed: true,
      patientOnly: false,
    });
    assert.deepEqual(decideAccess(['patient/Patient.r'], 'Patient', 'search'), {
      allowed: false,
      patientOnly: false,
    });
    assert.deepEqual(decideAccess(['patient/Patient.r'], 'Patient', 'read'), {
      allowed: true,
      patientOnly: true,
    });
    assert.deepEqual(decideAccess(['patient/Patient.rs', 'user/Patient.rs'], 'Patient', 'read'), {
      allowed: true,
      patientOnly: false,
    });
    assert.deepEqual(decideAccess(['user/Patient.write'], 'Patient', 'read'), {
      allowed: false,
      patientOnly: false,
    });
  });
});

describe('SMART v2 app (docs/cerner.md §2, §3 and pitfall 5)', () => {
  const v2ClientId = 'v2-client';
  const sandbox = sandboxForSuite(() =>
    startTestSandbox({
      apps: [
        providerApp({
          applicationId: 'v2-app',
          clientId: v2ClientId,
          smartVersion: 'v2',
          scopes: ['user/Patient.rs', 'user/Patient.read'],
        }),
      ],
    }),
  );

  const authorizeAt = (profile: string, params: Record<string, string>) =>
    `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/${profile}/personas/provider/authorize?${new URLSearchParams(params)}`;

  it('shows unknown-tenant when a v2 app uses the smart-v1 path', async () => {
    const launch = await testLaunch(sandbox, { client_id: v2ClientId });
    const response = await get(
      authorizeAt('smart-v1', launchAuthorizeParams(launch, { client_id: v2ClientId })),
      {
        cookie: launch.session_cookie,
      },
    );
    assert.equal(response.status, 400);
    assert.ok(
      (await response.text()).includes('urn:cerner:error:authorization-server:oauth2:grant:unknown-tenant'),
    );
  });

  it('grants v2 scopes and drops v1 ones on the smart-v2 path', async () => {
    const launch = await testLaunch(sandbox, { client_id: v2ClientId });
    const { verifier, challenge } = pkcePair();
    const params = launchAuthorizeParams(launch, {
      client_id: v2ClientId,
      scope: 'launch user/Patient.read user/Patient.rs',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const authorize = await get(authorizeAt('smart-v2', params), { cookie: launch.session_cookie });
    const code = redirectParams(authorize).get('code') ?? '';
    const token = await postForm(
      `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v2/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { authorization: basicAuth(v2ClientId, SECRET) },
    );
    assert.equal(token.status, 200);
    const body = (await token.json()) as { scope: string; access_token: string };
    assert.equal(body.scope, 'launch user/Patient.rs');
    const read = await get(`${sandbox.fhirBaseUrl}/Patient/12724065`, {
      authorization: `Bearer ${body.access_token}`,
    });
    assert.equal(read.status, 200);
  });
});
