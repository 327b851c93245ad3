import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  authorizeCode,
  discovered,
  launchApp,
  profileCodeForm,
  SMART_CLIENT_ID,
  SMART_SECRET,
  startProfileSandbox,
} from './profile-test-support.ts';
import { basicAuth, get, postForm, sandboxForSuite } from './test-support.ts';

const WILMA = '12724065';

describe('SMART profile: refresh, revocation (RFC 7009) and introspection (RFC 7662)', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);
  let config: Record<string, unknown>;
  let base: string;
  const auth = { authorization: basicAuth(SMART_CLIENT_ID, SMART_SECRET) };

  before(async () => {
    base = sandbox.smart.fhirBaseUrl;
    config = await discovered(base);
  });

  async function tokens(
    scope = 'launch openid fhirUser patient/Patient.rs user/Observation.rs offline_access',
  ) {
    const launch = await launchApp(sandbox, SMART_CLIENT_ID);
    const { code, verifier } = await authorizeCode(String(config.authorization_endpoint), {
      client_id: SMART_CLIENT_ID,
      scope,
      aud: base,
      launch: launch.launch,
    });
    const response = await postForm(String(config.token_endpoint), profileCodeForm(code, verifier), auth);
    assert.equal(response.status, 200);
    return { body: (await response.json()) as Record<string, string>, launch };
  }

  async function refresh(refreshToken: string, extra: Record<string, string> = {}) {
    const response = await postForm(
      String(config.token_endpoint),
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
      auth,
    );
    return { response, body: (await response.json()) as Record<string, unknown> };
  }

  it('rotates the refresh token: the answer has a new one and the old one stops working', async () => {
    const { body } = await tokens();
    const first = await refresh(body.refresh_token as string);
    assert.equal(first.response.status, 200);
    assert.notEqual(first.body.refresh_token, body.refresh_token);
    assert.equal(first.body.patient, WILMA, 'the launch context comes again');
    assert.equal(first.body.need_patient_banner, false);
    assert.equal(typeof first.body.id_token, 'string');
    assert.equal(first.body.scope, body.scope);
    const reused = await refresh(body.refresh_token as string);
    assert.equal(reused.response.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    const second = await refresh(String(first.body.refresh_token));
    assert.equal(second.response.status, 200);
  });

  it('refreshes to fewer scopes, never to more', async () => {
    const { body } = await tokens();
    const narrower = await refresh(body.refresh_token as string, { scope: 'patient/Patient.rs' });
    assert.equal(narrower.response.status, 200);
    assert.equal(narrower.body.scope, 'patient/Patient.rs');
    const readObservations = await get(`${base}/Observation?patient=${WILMA}`, {
      authorization: `Bearer ${narrower.body.access_token}`,
    });
    assert.equal(readObservations.status, 403);
    const wider = await refresh(String(narrower.body.refresh_token), {
      scope: 'patient/Patient.rs user/Patient.rs',
    });
    assert.equal(wider.response.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
  });

  it('ties an online_access refresh token to the user session', async () => {
    const { body } = await tokens('launch patient/Patient.rs online_access');
    assert.equal(body.scope, 'launch patient/Patient.rs online_access');
    const first = await refresh(body.refresh_token as string);
    assert.equal(first.response.status, 200);
    const offline = await tokens();
    const ended = await fetch(`${sandbox.origin}/_test/sessions/end`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'portal' }),
    });
    assert.equal(ended.status, 200);
    const afterSignOut = await refresh(String(first.body.refresh_token));
    assert.equal(afterSignOut.response.status, 400);
    assert.equal(afterSignOut.body.error, 'invalid_grant');
    assert.match(String(afterSignOut.body.error_description), /session/);
    assert.equal(
      (await refresh(offline.body.refresh_token as string)).response.status,
      200,
      'offline_access outlives it',
    );
  });

  it('revokes a refresh token and an access token at the revocation endpoint', async () => {
    const { body } = await tokens();
    const revoke = (token: string, hint: string, headers = auth) =>
      postForm(String(config.revocation_endpoint), { token, token_type_hint: hint }, headers);
    const refreshRevoked = await revoke(body.refresh_token as string, 'refresh_token');
    assert.equal(refreshRevoked.status, 200);
    assert.equal(await refreshRevoked.text(), '');
    assert.equal((await refresh(body.refresh_token as string)).response.status, 400);
    const bearer = { authorization: `Bearer ${body.access_token}` };
    assert.equal((await get(`${base}/Patient/${WILMA}`, bearer)).status, 200);
    assert.equal((await revoke(body.access_token as string, 'access_token')).status, 200);
    assert.equal((await get(`${base}/Patient/${WILMA}`, bearer)).status, 401);
    // Unknown tokens still get 200; an unauthenticated client gets 401.
    assert.equal((await revoke('no-such-token', 'refresh_token')).status, 200);
    const anonymous = await revoke('no-such-token', 'refresh_token', {
      authorization: basicAuth(SMART_CLIENT_ID, 'wrong'),
    });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: string }).error, 'invalid_client');
    const recorded = (await (await get(`${sandbox.origin}/_test/requests?profile=smart`)).json()) as {
      requests: { endpoint: string; form: Record<string, string> | null }[];
      counts: Record<string, number>;
    };
    const revokes = recorded.requests.filter((request) => request.endpoint === 'revoke');
    assert.deepEqual(revokes[0]?.form, { token: body.refresh_token, token_type_hint: 'refresh_token' });
    assert.ok((recorded.counts.revoke ?? 0) >= 4);
  });

  it('introspects an access token with its scope, client, expiry and patient', async () => {
    const { body } = await tokens();
    const response = await postForm(
      String(config.introspection_endpoint),
      { token: body.access_token as string },
      auth,
    );
    assert.equal(response.status, 200);
    const found = (await response.json()) as Record<string, unknown>;
    assert.equal(found.active, true);
    assert.equal(found.scope, body.scope);
    assert.equal(found.client_id, SMART_CLIENT_ID);
    assert.equal(found.patient, WILMA);
    assert.ok(Number(found.exp) > Date.now() / 1000 + 3000);
    const unknown = await postForm(String(config.introspection_endpoint), { token: 'nope' }, auth);
    assert.deepEqual(await unknown.json(), { active: false });
  });

  it('expires access tokens after expires_in (the sandbox clock moves)', async () => {
    const { body } = await tokens();
    const bearer = { authorization: `Bearer ${body.access_token}` };
    const move = await fetch(`${sandbox.origin}/_test/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 3601 }),
    });
    assert.equal(move.status, 200);
    try {
      assert.equal((await get(`${base}/Patient/${WILMA}`, bearer)).status, 401);
    } finally {
      await fetch(`${sandbox.origin}/_test/clock`, { method: 'DELETE' });
    }
  });
});
