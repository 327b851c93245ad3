/** The app-facing API: authentication, org isolation, the envelope, request ids, JWKS. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api/api-keys.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { driveLaunch, launchIdFrom, readContext } from './support/launch-driver.ts';
import { type Stack, startStack } from './support/stack.ts';

function assertEnvelope(body: Record<string, unknown>, type: string, code: string, requestId: string | null) {
  const error = body.error as Record<string, unknown>;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'doc_url', 'message', 'param', 'request_id', 'type']);
  assert.equal(error.type, type);
  assert.equal(error.code, code);
  assert.equal(error.request_id, requestId);
  assert.ok(!String(error.message).includes('    at '), 'no stack trace');
}

describe('GET /launch-contexts/:id', () => {
  let stack: Stack;
  let launchId: string;
  before(async () => {
    stack = await startStack({});
    launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
  });
  after(() => stack.close());

  it('no key → 401 missing_api_key envelope', async () => {
    const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${launchId}`);
    assert.equal(response.status, 401);
    assertEnvelope(
      (await response.json()) as Record<string, unknown>,
      'authentication_error',
      'missing_api_key',
      response.headers.get('x-request-id'),
    );
  });

  it('a bad or forged key → 401 invalid_api_key', async () => {
    const forged = stack.apiKey.slice(0, -4) + (stack.apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    for (const key of ['nonsense', forged, `${stack.apiKey}x`]) {
      const { response, body } = await readContext(stack, launchId, key);
      assert.equal(response.status, 401);
      assertEnvelope(body, 'authentication_error', 'invalid_api_key', response.headers.get('x-request-id'));
    }
  });

  it('another org’s key → 404, exactly like a launch that does not exist', async () => {
    const { db } = stack.gateway.services;
    const other = await createOrganization(db, { name: 'Other clinic' });
    const { key } = await createApiKey(db, other.id, 'test');
    const foreign = await readContext(stack, launchId, key);
    assert.equal(foreign.response.status, 404);
    assertEnvelope(
      foreign.body,
      'not_found_error',
      'resource_not_found',
      foreign.response.headers.get('x-request-id'),
    );
    const missing = await readContext(stack, '00000000-0000-4000-8000-000000000000');
    assert.equal(missing.response.status, 404);
    assert.equal(
      (missing.body.error as { message: string }).message,
      (foreign.body.error as { message: string }).message,
    );
  });

  it('a malformed id → 404 envelope, never a 500', async () => {
    for (const id of ['not-a-uuid', "1' or '1'='1", 'x'.repeat(150)]) {
      const { response, body } = await readContext(stack, encodeURIComponent(id));
      assert.equal(response.status, 404, id);
      assertEnvelope(body, 'not_found_error', 'resource_not_found', response.headers.get('x-request-id'));
    }
  });

  it('an unsupported Version header → 400 unsupported_api_version', async () => {
    const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${launchId}`, {
      headers: { authorization: `Bearer ${stack.apiKey}`, version: '1999-01-01' },
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { param: string; message: string } };
    assertEnvelope(
      body,
      'invalid_request_error',
      'unsupported_api_version',
      response.headers.get('x-request-id'),
    );
    assert.equal(body.error.param, 'version');
    assert.equal(body.error.message, 'Unsupported API version. Supported: 2026-11-29.');
  });

  it('checks the key before the Version header: an unknown caller gets 401, not a hint', async () => {
    const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${launchId}`, {
      headers: { version: '1999-01-01' },
    });
    assert.equal(response.status, 401);
    const body = (await response.json()) as Record<string, unknown>;
    assertEnvelope(body, 'authentication_error', 'missing_api_key', response.headers.get('x-request-id'));
  });

  it('shows a launch past its maximum session age as expired, before any sweep', async () => {
    const id = launchIdFrom((await driveLaunch(stack)).callbackResponse);
    const { db, config } = stack.gateway.services;
    const longAgo = new Date(Date.now() - (config.maxSessionAgeSeconds + 60) * 1000).toISOString();
    await db.updateTable('ehr_launch').set({ created_at: longAgo }).where('id', '=', id).execute();
    const { response, body } = await readContext(stack, id);
    assert.equal(response.status, 200);
    assert.equal(body.status, 'expired');
  });

  it('records each read in the audit trail, with the key prefix and never the key', async () => {
    await readContext(stack, launchId);
    const events = await stack.gateway.services.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'launch_context.read')
      .where('launch_id', '=', launchId)
      .execute();
    assert.ok(events.length >= 1);
    assert.match(events[0]?.actor as string, /^api_key:[A-Za-z0-9]{12}$/);
    assert.ok(!JSON.stringify(events).includes(stack.apiKey));
  });
});

describe('every response', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({});
  });
  after(() => stack.close());

  it('unknown routes → 404 envelope with X-Request-Id', async () => {
    const response = await fetch(`${stack.gatewayUrl}/no/such/thing`);
    assert.equal(response.status, 404);
    const id = response.headers.get('x-request-id');
    assert.match(id as string, /^[0-9a-f-]{36}$/);
    assertEnvelope(
      (await response.json()) as Record<string, unknown>,
      'not_found_error',
      'route_not_found',
      id,
    );
  });

  it('an incoming X-Request-Id is not echoed (ids are ours)', async () => {
    const response = await fetch(`${stack.gatewayUrl}/health`, {
      headers: { 'x-request-id': '<b>mine</b>' },
    });
    assert.notEqual(response.headers.get('x-request-id'), '<b>mine</b>');
  });

  it('serves our JWKS: RS384 and ES384 public keys with kid, alg and use', async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`);
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES384', 'RS384']);
    for (const key of keys) {
      assert.equal(key.use, 'sig');
      assert.ok(key.kid);
      assert.equal(key.d, undefined, 'no private part');
      assert.equal(key.p, undefined);
    }
  });

  it('keeps the same keys across restarts, private halves sealed', async () => {
    const rows = await stack.gateway.services.db.selectFrom('signing_key').selectAll().execute();
    assert.equal(rows.length, 2);
    for (const row of rows) assert.match(row.private_jwk, /^v1\./);
  });
});
