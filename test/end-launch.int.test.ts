/**
 * `DELETE /launch-contexts/:id` through the local Cerner sandbox, on SQLite and PostgreSQL: the
 * EHR sees an RFC 7009 revocation of each token with its hint and our client authentication; the
 * tokens leave the database; the FHIR proxy refuses; a second DELETE answers the same; other
 * organizations and environments get 404; an EHR that refuses or hangs does not keep the launch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createApiKey } from '../src/api/api-keys.ts';
import type { ClientAuthMethod } from '../src/config/index.ts';
import { tokenContext } from '../src/launch/ehr-launches.ts';
import { findConnectionAndClient, openClient } from '../src/settings/connections.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import type { TestEngine } from './support/databases.ts';
import { auditEvents, firstIssue, proxyFetch } from './support/fhir-proxy.ts';
import { driveLaunch, LAUNCH_CONTEXT_KEYS, launchIdFrom, readContext } from './support/launch-driver.ts';
import { setKeptRevocationEndpoint, startRevocationSpy } from './support/revocation-spy.ts';
import { clearRecordedRequests, recordedRequests } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

/** Nancy SMART and her prenatal visit (the sandbox's data). */
const NANCY = { patient: '12724066', encounter: '97953477' };
const CONTEXT_KEYS = LAUNCH_CONTEXT_KEYS;

async function deleteLaunch(stack: Stack, id: string, apiKey = stack.apiKey) {
  const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

const launchRow = (stack: Stack, id: string) =>
  stack.gateway.services.db
    .selectFrom('ehr_launch')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

/** The launch's tokens as the EHR issued them (the test opens what the gateway sealed). */
async function heldTokens(stack: Stack, id: string) {
  const row = await launchRow(stack, id);
  const { sealer } = stack.gateway.services;
  return {
    access: sealer.open(row.access_token as string, tokenContext(id, 'access_token')),
    refresh: sealer.open(row.refresh_token as string, tokenContext(id, 'refresh_token')),
  };
}

const combos: { engine: TestEngine; authMethod: ClientAuthMethod }[] = [
  { engine: 'sqlite', authMethod: 'client_secret_basic' },
  { engine: 'sqlite', authMethod: 'private_key_jwt' },
  { engine: 'postgres', authMethod: 'client_secret_basic' },
  { engine: 'postgres', authMethod: 'private_key_jwt' },
];

for (const { engine, authMethod } of combos) {
  describe(`DELETE /launch-contexts/:id (${engine}, ${authMethod})`, () => {
    let stack: Stack;
    let revocationEndpoint: string;
    const newLaunch = async () => launchIdFrom((await driveLaunch(stack, NANCY)).callbackResponse);

    before(async () => {
      stack = await startStack({ engine, authMethod, env: { CHARTSIDE_WEBHOOK_POLL_MS: '0' } });
      const discovery = await fetch(`${stack.sandbox.fhirBaseUrl}/.well-known/smart-configuration`);
      revocationEndpoint = ((await discovery.json()) as { revocation_endpoint: string }).revocation_endpoint;
    });
    after(() => stack.close());

    it('revokes both tokens at the EHR with their hints and our client authentication', async () => {
      const id = await newLaunch();
      const tokens = await heldTokens(stack, id);
      await clearRecordedRequests(stack.sandbox);

      const { response, body } = await deleteLaunch(stack, id);
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(Object.keys(body).sort(), CONTEXT_KEYS);
      assert.equal(body.id, id);
      assert.equal(body.status, 'ended');
      assert.equal(body.patient, `Patient/${NANCY.patient}`);

      const revocations = await recordedRequests(stack.sandbox, 'revoke');
      assert.equal(revocations.length, 2);
      assert.deepEqual(revocations.map((r) => [r.form?.token_type_hint, r.form?.token]).sort(), [
        ['access_token', tokens.access],
        ['refresh_token', tokens.refresh],
      ]);
      for (const revocation of revocations) {
        assert.equal(`${stack.sandbox.origin}${revocation.path}`, revocationEndpoint);
        assert.equal(revocation.method, 'POST');
        assert.match(revocation.headers['content-type'] as string, /^application\/x-www-form-urlencoded/);
        await assertClientAuthentication(stack, authMethod, revocation, revocationEndpoint);
      }
      // The EHR really revoked it: the refresh token no longer refreshes.
      assert.equal(await refreshWorks(stack, tokens.refresh), false);

      const audit = await auditEvents(stack.gateway.services.db, { launchId: id });
      const ended = audit.find((row) => row.action === 'launch.ended');
      assert.deepEqual(ended?.details, { reason: 'ended_by_app', ehr_error: null });
      assert.match(ended?.actor as string, /^api_key:/);
      const revoked = audit.find((row) => row.action === 'token.revoked');
      assert.deepEqual(revoked?.details, { tokens: 'refresh_token access_token' });
      assert.equal(revoked?.request_id, response.headers.get('x-request-id'));
      assert.equal(
        JSON.stringify(audit).includes(tokens.access) || JSON.stringify(audit).includes(tokens.refresh),
        false,
      );
      assert.equal(stack.logs.join('').includes(tokens.refresh), false, 'no token in the logs');
    });

    it('deletes the tokens, shows `ended`, and the FHIR proxy refuses with token_unavailable', async () => {
      const id = await newLaunch();
      assert.equal(
        (await proxyFetch(stack.gatewayUrl, stack.apiKey, id, `Patient/${NANCY.patient}`)).response.status,
        200,
      );
      await deleteLaunch(stack, id);

      const row = await launchRow(stack, id);
      assert.equal(row.status, 'ended');
      assert.equal(row.end_reason, 'ended_by_app');
      assert.equal(row.access_token, null);
      assert.equal(row.refresh_token, null);
      assert.equal(row.token_expires_at, null);
      assert.ok(row.ended_at);

      const read = await readContext(stack, id);
      assert.equal(read.response.status, 200);
      assert.equal(read.body.status, 'ended');

      const proxied = await proxyFetch(stack.gatewayUrl, stack.apiKey, id, `Patient/${NANCY.patient}`);
      assert.equal(proxied.response.status, 502);
      const issue = firstIssue(proxied.body);
      assert.equal(issue.details.coding[0]?.code, 'token_unavailable');
      assert.match(issue.details.text, /ended by the app/);
    });

    it('is idempotent: a second DELETE answers the same and sends nothing to the EHR', async () => {
      const id = await newLaunch();
      const first = await deleteLaunch(stack, id);
      await clearRecordedRequests(stack.sandbox);
      const second = await deleteLaunch(stack, id);
      assert.equal(second.response.status, 200);
      assert.deepEqual(second.body, first.body);
      assert.deepEqual(await recordedRequests(stack.sandbox, 'revoke'), []);
      const ended = await auditEvents(stack.gateway.services.db, { launchId: id, action: 'launch.ended' });
      assert.equal(ended.length, 1, 'one ending, one audit row');
    });

    it('owes the org’s webhooks one launch.ended with status ended and reason ended_by_app', async () => {
      const { db, sealer, config } = stack.gateway.services;
      await addWebhookEndpoint({ db, sealer, config }, stack.orgId, {
        url: 'http://127.0.0.1:9/hooks',
        events: 'launch.ended',
        actor: 'test',
      });
      const id = await newLaunch();
      await deleteLaunch(stack, id);
      await deleteLaunch(stack, id);
      const owed = await db
        .selectFrom('webhook_delivery')
        .select(['event_type', 'launch_status', 'reason', 'code', 'environment'])
        .where('launch_id', '=', id)
        .execute();
      assert.deepEqual(owed, [
        {
          event_type: 'launch.ended',
          launch_status: 'ended',
          reason: 'ended_by_app',
          code: null,
          environment: 'sandbox',
        },
      ]);
    });

    it('another organization’s key or a key of the other environment gets 404, and the launch goes on', async () => {
      const { db } = stack.gateway.services;
      const id = await newLaunch();
      const other = await createOrganization(db, { name: 'Other clinic' });
      const otherOrg = (await createApiKey(db, other.id, 'test')).key;
      const production = (await createApiKey(db, stack.orgId, 'test', 'production')).key;
      const missing = await deleteLaunch(stack, '00000000-0000-4000-8000-000000000000');
      assert.equal(missing.response.status, 404);
      await clearRecordedRequests(stack.sandbox);
      for (const key of [otherOrg, production]) {
        const { response, body } = await deleteLaunch(stack, id, key);
        assert.equal(response.status, 404);
        const error = body.error as Record<string, unknown>;
        assert.equal(error.code, 'resource_not_found');
        assert.equal(error.message, (missing.body.error as Record<string, unknown>).message);
        assert.equal(error.request_id, response.headers.get('x-request-id'));
      }
      assert.deepEqual(await recordedRequests(stack.sandbox, 'revoke'), []);
      assert.equal((await launchRow(stack, id)).status, 'ready');
      const proxied = await proxyFetch(stack.gatewayUrl, stack.apiKey, id, `Patient/${NANCY.patient}`);
      assert.equal(proxied.response.status, 200);
    });

    it('a malformed id or no key is refused before anything happens', async () => {
      const malformed = await deleteLaunch(stack, 'not-a-uuid');
      assert.equal(malformed.response.status, 404);
      const anonymous = await fetch(
        `${stack.gatewayUrl}/launch-contexts/00000000-0000-4000-8000-000000000000`,
        {
          method: 'DELETE',
        },
      );
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'missing_api_key');
    });
  });
}

/** Basic with the connection's id and secret, or a JWT assertion whose `aud` is the revocation URL. */
async function assertClientAuthentication(
  stack: Stack,
  authMethod: ClientAuthMethod,
  revocation: { headers: Record<string, string>; form: Record<string, string> | null },
  revocationEndpoint: string,
) {
  const form = revocation.form ?? {};
  if (authMethod === 'client_secret_basic') {
    const { clientSecret } = await connectionClient(stack);
    const expected = Buffer.from(`${stack.clientId}:${clientSecret}`).toString('base64');
    assert.equal(revocation.headers.authorization, `Basic ${expected}`);
    assert.deepEqual(Object.keys(form).sort(), ['token', 'token_type_hint']);
    return;
  }
  assert.equal(revocation.headers.authorization, undefined);
  assert.deepEqual(Object.keys(form).sort(), [
    'client_assertion',
    'client_assertion_type',
    'client_id',
    'token',
    'token_type_hint',
  ]);
  assert.equal(form.client_assertion_type, 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  assert.equal(form.client_id, stack.clientId);
  const header = decodeProtectedHeader(form.client_assertion as string);
  assert.equal(header.alg, 'RS384');
  assert.ok(header.kid);
  const claims = decodeJwt(form.client_assertion as string);
  assert.equal(claims.iss, stack.clientId);
  assert.equal(claims.sub, stack.clientId);
  assert.equal(claims.aud, revocationEndpoint);
}

async function connectionClient(stack: Stack) {
  const { db, sealer, config } = stack.gateway.services;
  const found = await findConnectionAndClient(db, sealer, config, stack.orgId, 'cerner', 'sandbox');
  assert.ok(found?.client);
  return openClient(found.client);
}

/** A refresh_token grant at the sandbox as the connection's client: does the token still work? */
async function refreshWorks(stack: Stack, refreshToken: string): Promise<boolean> {
  const { clientSecret } = await connectionClient(stack);
  const discovery = await fetch(`${stack.sandbox.fhirBaseUrl}/.well-known/smart-configuration`);
  const { token_endpoint } = (await discovery.json()) as { token_endpoint: string };
  const response = await fetch(token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${stack.clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return response.ok;
}

describe('DELETE /launch-contexts/:id when the EHR does not revoke', () => {
  let stack: Stack;
  let spy: Awaited<ReturnType<typeof startRevocationSpy>>;
  const newLaunch = async () => launchIdFrom((await driveLaunch(stack, NANCY)).callbackResponse);

  before(async () => {
    // The lookup cache on, as in production: the proxy must not go on with a remembered ready row.
    stack = await startStack({ timeoutMs: 500, env: { CHARTSIDE_LOOKUP_CACHE_MS: '60000' } });
    spy = await startRevocationSpy();
  });
  after(async () => {
    await spy.close();
    await stack.close();
  });

  async function endAndExpect(action: string, details: Record<string, unknown>) {
    const id = await newLaunch();
    // Read once through the proxy, so this process remembers the ready launch.
    assert.equal(
      (await proxyFetch(stack.gatewayUrl, stack.apiKey, id, `Patient/${NANCY.patient}`)).response.status,
      200,
    );
    const { response, body } = await deleteLaunch(stack, id);
    assert.equal(response.status, 200);
    assert.equal(body.status, 'ended');
    const row = await launchRow(stack, id);
    assert.deepEqual([row.status, row.access_token, row.refresh_token], ['ended', null, null]);
    const [audited] = await auditEvents(stack.gateway.services.db, { launchId: id, action });
    assert.deepEqual(audited?.details, details);
    const proxied = await proxyFetch(stack.gatewayUrl, stack.apiKey, id, `Patient/${NANCY.patient}`);
    assert.equal(proxied.response.status, 502);
    assert.equal(firstIssue(proxied.body).details.coding[0]?.code, 'token_unavailable');
    return id;
  }

  it('a refusal is logged and audited, and the launch still ends', async () => {
    await newLaunch(); // the source's discovery is kept by the first launch
    await setKeptRevocationEndpoint(stack.gateway.services.db, spy.url);
    spy.answer = { status: 400, body: { error: 'unsupported_token_type' } };
    const id = await endAndExpect('token.revocation_failed', {
      token_type_hint: 'refresh_token',
      reason: 'refused',
      status: 400,
      ehr_error: 'unsupported_token_type',
    });
    assert.deepEqual(spy.received.map((form) => form.token_type_hint).sort(), [
      'access_token',
      'refresh_token',
    ]);
    const warned = stack.logs.filter((line) => line.includes(id) && line.includes('did not revoke'));
    assert.ok(warned.length > 0, 'logged');
  });

  it('a revocation endpoint that never answers costs one timeout, and the launch still ends', async () => {
    spy.answer = 'hold';
    const started = Date.now();
    await endAndExpect('token.revocation_failed', {
      token_type_hint: 'refresh_token',
      reason: 'timeout',
      status: null,
      ehr_error: null,
    });
    assert.ok(Date.now() - started < 5000, 'both calls waited side by side');
  });

  it('an EHR without a revocation endpoint: nothing is sent, the tokens are deleted all the same', async () => {
    await setKeptRevocationEndpoint(stack.gateway.services.db, null);
    spy.received.length = 0;
    await endAndExpect('token.revocation_skipped', { reason: 'no_revocation_endpoint' });
    assert.deepEqual(spy.received, []);
  });
});
