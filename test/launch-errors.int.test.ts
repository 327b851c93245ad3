/**
 * Every way a launch can go wrong, and what the clinician, the database and the EHR see.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { authorizeAtEhr, driveLaunch, launchIdFrom, startLaunch } from './support/launch-driver.ts';
import {
  clearFaults,
  clearRecordedRequests,
  recordedRequests,
  sandboxLaunch,
  setFaults,
} from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

async function launchRow(stack: Stack, id: string) {
  return stack.gateway.services.db
    .selectFrom('ehr_launch')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function latestLaunch(stack: Stack) {
  return stack.gateway.services.db
    .selectFrom('ehr_launch')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
}

function assertHtmlError(response: Response, body: string, status: number, code: string) {
  assert.equal(response.status, status);
  assert.match(response.headers.get('content-type') as string, /^text\/html/);
  const requestId = response.headers.get('x-request-id') as string;
  assert.ok(requestId);
  assert.ok(body.includes(code), `page shows code ${code}`);
  assert.ok(body.includes(requestId), 'page shows the request id');
  assert.ok(!/at .+\.ts:\d+/.test(body), 'no stack trace');
}

describe('launch request errors (GET /api/auth/smart/launch/:orgId)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({});
  });
  after(() => stack.close());

  it('an iss that is not a registered fhir_source: 400 "FHIR source not found for iss", escaped, and no outbound request', async () => {
    await clearRecordedRequests(stack.sandbox);
    const iss = `${stack.sandbox.origin}/r4/<script>alert(1)</script>`;
    const response = await fetch(
      `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent(iss)}&launch=abc`,
      { redirect: 'manual' },
    );
    const body = await response.text();
    assertHtmlError(response, body, 400, 'fhir_source_not_found');
    assert.ok(body.includes('FHIR source not found for iss'));
    assert.ok(!body.includes('<script>alert(1)</script>'), 'the iss is not reflected raw');
    assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the iss is shown escaped');
    assert.deepEqual(
      await recordedRequests(stack.sandbox),
      [],
      'nothing was fetched from the unregistered iss',
    );
  });

  it('an unknown org: a clear 404 page', async () => {
    const response = await fetch(
      `${stack.gatewayUrl}/api/auth/smart/launch/org_nope?iss=${encodeURIComponent(stack.sandbox.fhirBaseUrl)}&launch=abc`,
    );
    const body = await response.text();
    assertHtmlError(response, body, 404, 'org_not_found');
  });

  it('an org without a Cerner connection: a clear page', async () => {
    const { createOrganization } = await import('../src/settings/organizations.ts');
    const { linkOrgToSource } = await import('../src/settings/org-links.ts');
    const { findFhirSourceByIss } = await import('../src/settings/fhir-sources.ts');
    const { db } = stack.gateway.services;
    const org = await createOrganization(db, { name: 'No connection yet' });
    // Linked to the tenant (else the launch stops earlier, at fhir_source_not_linked).
    const source = await findFhirSourceByIss(db, stack.sandbox.fhirBaseUrl);
    await linkOrgToSource(db, { orgId: org.id, sourceId: source?.id as string, actor: 'test' });
    const response = await fetch(
      `${stack.gatewayUrl}/api/auth/smart/launch/${org.id}?iss=${encodeURIComponent(stack.sandbox.fhirBaseUrl)}&launch=abc`,
    );
    const body = await response.text();
    assertHtmlError(response, body, 404, 'connection_not_configured');
    assert.ok(body.includes('no Cerner connection configured'));
  });

  for (const [name, query, param] of [
    ['missing iss', 'launch=abc', 'iss'],
    ['missing launch', 'iss=https%3A%2F%2Fehr.example%2Ffhir', 'launch'],
    ['oversized iss', `iss=${'a'.repeat(3000)}&launch=abc`, 'iss'],
    ['oversized launch', `iss=https%3A%2F%2Fehr.example&launch=${'a'.repeat(5000)}`, 'launch'],
    ['repeated iss', 'iss=a&iss=b&launch=abc', 'iss'],
  ] as const) {
    it(`${name}: 400 page`, async () => {
      const response = await fetch(`${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?${query}`);
      const body = await response.text();
      assertHtmlError(response, body, 400, 'invalid_launch_request');
      assert.ok(body.includes(`the ${param} parameter`) || body.includes(`${param} parameter`));
    });
  }

  it('falls back to the CapabilityStatement when smart-configuration is missing', async () => {
    const fresh = await startStack({});
    try {
      await setFaults(fresh.sandbox, { smart_configuration: 'not_found' });
      const { callbackResponse } = await driveLaunch(fresh);
      launchIdFrom(callbackResponse);
      const endpoints = (await recordedRequests(fresh.sandbox)).map((r) => r.endpoint);
      assert.deepEqual(endpoints.slice(0, 2), ['smart-configuration', 'metadata']);
    } finally {
      await fresh.close();
    }
  });
});

describe('callback errors (GET /api/auth/smart/launch-callback)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ timeoutMs: 800 });
  });
  afterEach(() => clearFaults(stack.sandbox));
  after(() => stack.close());

  it('a replayed callback: 400 page and the launch stays as it was', async () => {
    const { callbackUrl, callbackResponse } = await driveLaunch(stack);
    const id = launchIdFrom(callbackResponse);
    const before = await launchRow(stack, id);
    const replay = await fetch(callbackUrl, { redirect: 'manual' });
    assertHtmlError(replay, await replay.text(), 400, 'invalid_state');
    assert.deepEqual(await launchRow(stack, id), before);
  });

  it('a state never issued: 400 page and nothing written', async () => {
    const count = async () =>
      (await stack.gateway.services.db.selectFrom('ehr_launch').select('id').execute()).length;
    const launches = await count();
    const response = await fetch(
      `${stack.gatewayUrl}/api/auth/smart/launch-callback?code=abc&state=never-issued`,
    );
    assertHtmlError(response, await response.text(), 400, 'invalid_state');
    const missing = await fetch(`${stack.gatewayUrl}/api/auth/smart/launch-callback?code=abc`);
    assertHtmlError(missing, await missing.text(), 400, 'invalid_state');
    assert.equal(await count(), launches);
  });

  it('an expired state: 400 page', async () => {
    const { ehrLaunch, authorizeUrl } = await startLaunch(stack);
    const callbackUrl = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
    await stack.gateway.services.db
      .updateTable('launch_state')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    const response = await fetch(callbackUrl, { redirect: 'manual' });
    assertHtmlError(response, await response.text(), 400, 'invalid_state');
  });

  it('a code from one launch used with another launch’s state is refused by the EHR (PKCE binds them)', async () => {
    const a = await startLaunch(stack);
    const b = await startLaunch(stack);
    const callbackA = await authorizeAtEhr(a.authorizeUrl, a.ehrLaunch.session_cookie);
    const callbackB = await authorizeAtEhr(b.authorizeUrl, b.ehrLaunch.session_cookie);
    const injected = new URL(callbackB);
    injected.searchParams.set('code', callbackA.searchParams.get('code') as string);
    const response = await fetch(injected, { redirect: 'manual' });
    assertHtmlError(response, await response.text(), 502, 'token_exchange_failed');
    const row = await latestLaunch(stack);
    assert.equal(row.status, 'failed');
    assert.equal(row.ehr_error, 'invalid_grant');
  });

  it('the EHR denying consent: launch failed with the EHR’s error and error_uri, shown on the page', async () => {
    await setFaults(stack.sandbox, { authorize: 'deny' });
    const { callbackUrl, callbackResponse } = await driveLaunch(stack);
    assert.equal(callbackUrl.searchParams.get('error'), 'access_denied');
    const errorUri = callbackUrl.searchParams.get('error_uri') as string;
    assert.match(errorUri, /urn%3Acerner%3Aerror/);
    const body = await callbackResponse.text();
    assertHtmlError(callbackResponse, body, 502, 'oauth_error');
    assert.ok(body.includes('access_denied'));
    assert.ok(body.includes(errorUri.replaceAll('&', '&amp;')), 'error_uri shown (escaped)');
    const row = await latestLaunch(stack);
    assert.equal(row.status, 'failed');
    assert.equal(row.error_code, 'oauth_error');
    assert.equal(row.ehr_error, 'access_denied');
    assert.equal(row.ehr_error_uri, errorUri);
    assert.equal(row.access_token, null);
  });

  for (const [fault, label] of [
    ['http_500', 'the token endpoint answering 500'],
    ['hang', 'the token endpoint timing out'],
    ['malformed_json', 'the token endpoint sending malformed JSON'],
  ] as const) {
    it(`${label}: token_exchange_failed page, launch failed, nothing half-written`, async () => {
      await setFaults(stack.sandbox, { token: fault });
      const started = Date.now();
      const { callbackResponse } = await driveLaunch(stack);
      const body = await callbackResponse.text();
      assertHtmlError(callbackResponse, body, 502, 'token_exchange_failed');
      if (fault === 'hang') assert.ok(Date.now() - started < 5000, 'the timeout cut the wait short');
      const row = await latestLaunch(stack);
      assert.equal(row.status, 'failed');
      assert.equal(row.error_code, 'token_exchange_failed');
      assert.equal(row.access_token, null);
      assert.equal(row.patient_fhir_id, null);
      const accounts = await stack.gateway.services.db
        .selectFrom('scoped_account')
        .selectAll()
        .where('first_launch_id', '=', row.id)
        .execute();
      assert.deepEqual(accounts, []);
    });
  }

  it('an id_token signed by a key the EHR does not publish: launch failed', async () => {
    await setFaults(stack.sandbox, { id_token: 'unknown_kid' });
    const { callbackResponse } = await driveLaunch(stack);
    assertHtmlError(callbackResponse, await callbackResponse.text(), 502, 'token_exchange_failed');
    const row = await latestLaunch(stack);
    assert.equal(row.status, 'failed');
    assert.equal(row.access_token, null);
  });

  it('tokens, codes and states never appear in the logs', async () => {
    const { callbackUrl, callbackResponse } = await driveLaunch(stack);
    const id = launchIdFrom(callbackResponse);
    const { sealer } = stack.gateway.services;
    const row = await launchRow(stack, id);
    const secrets = [
      sealer.open(row.access_token as string, `ehr_launch.access_token:${id}`),
      sealer.open(row.refresh_token as string, `ehr_launch.refresh_token:${id}`),
      callbackUrl.searchParams.get('code') as string,
      callbackUrl.searchParams.get('state') as string,
      stack.apiKey,
    ];
    await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    const logs = stack.logs.join('');
    assert.ok(logs.includes('launch-callback'), 'the callback was logged');
    for (const secret of secrets) assert.ok(!logs.includes(secret), 'a secret reached the logs');
  });
});

describe('launch handle from the wrong launcher user', () => {
  it('is refused by the EHR when the signed-in user differs (launch bound to user)', async () => {
    const stack = await startStack({});
    try {
      const { ehrLaunch, authorizeUrl } = await startLaunch(stack);
      const other = await sandboxLaunch(stack.sandbox, stack.clientId);
      assert.notEqual(other.launch, ehrLaunch.launch);
      // Reusing the launch: authorize once, then again with the same launch → invalid-code.
      await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
      const again = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
      assert.equal(again.searchParams.get('error'), 'invalid_request');
    } finally {
      await stack.close();
    }
  });
});
