/**
 * Launches, Audit, API keys and Signing keys pages against real launches through the local
 * sandbox: newest first, paged, filtered, never a token value; keys shown once and revocable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOperator } from '../src/admin/operators.ts';
import { recordAudit } from '../src/audit/audit-log.ts';
import { ConsoleClient, csrfTokenOf, PASSWORD } from './support/admin-console.ts';
import { driveLaunch, launchIdFrom, readContext } from './support/launch-driver.ts';
import { clearFaults, setFaults } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const EMAIL = 'ann@clinic.example';

describe('Launches, Audit and keys pages', () => {
  let stack: Stack;
  let client: ConsoleClient;
  let ready: string;
  let failed: string;
  before(async () => {
    // A long lookup cache: revoking in the console must still stop the key at once in this process.
    stack = await startStack({ env: { CHARTSIDE_LOOKUP_CACHE_MS: '60000' } });
    const { db } = stack.gateway.services;
    await createOperator(db, { orgId: stack.orgId, email: EMAIL, password: PASSWORD });
    client = new ConsoleClient(stack.gateway);
    assert.equal((await client.signIn(EMAIL)).statusCode, 303);
    ready = launchIdFrom((await driveLaunch(stack)).callbackResponse);
    await setFaults(stack.sandbox, { authorize: 'deny' });
    await driveLaunch(stack);
    await clearFaults(stack.sandbox);
    const row = await db
      .selectFrom('ehr_launch')
      .select('id')
      .where('status', '=', 'failed')
      .executeTakeFirstOrThrow();
    failed = row.id;
  });
  after(() => stack.close());

  it('lists launches newest first with context, scope and whether tokens are held, never their values', async () => {
    const { db } = stack.gateway.services;
    const { statusCode, body } = await client.get('/admin/launches');
    assert.equal(statusCode, 200);
    assert.ok(body.indexOf(failed) < body.indexOf(ready), 'newest first');
    assert.match(body, /Patient\/12724066/);
    assert.match(body, /Encounter\/97953477/);
    assert.match(body, /Practitioner\/12742069/);
    assert.match(body, /Local Cerner sandbox/);
    assert.match(body, /access <span class="badge ok">held<\/span>/);
    assert.match(body, /EHR error <strong>access_denied<\/strong>/);
    assert.match(body, /error_uri [^<]*urn%3Acerner%3Aerror%3A/);
    const row = await db
      .selectFrom('ehr_launch')
      .select(['access_token', 'refresh_token'])
      .where('id', '=', ready)
      .executeTakeFirstOrThrow();
    assert.ok(row.access_token && !body.includes(row.access_token));
    assert.ok(row.refresh_token && !body.includes(row.refresh_token));
  });

  it('filters by status', async () => {
    const failedOnly = await client.get('/admin/launches?status=failed');
    assert.ok(failedOnly.body.includes(failed));
    assert.ok(!failedOnly.body.includes(ready));
    assert.match(failedOnly.body, /<option value="failed" selected>/);
    const readyOnly = await client.get('/admin/launches?status=ready');
    assert.ok(readyOnly.body.includes(ready));
    assert.ok(!readyOnly.body.includes(failed));
    const unknown = await client.get('/admin/launches?status=%3Cscript%3E');
    assert.ok(unknown.body.includes(ready) && unknown.body.includes(failed), 'an unknown status shows all');
  });

  it('pages 25 at a time with Older and Newer links that keep the filter', async () => {
    const { db } = stack.gateway.services;
    const template = await db
      .selectFrom('ehr_launch')
      .selectAll()
      .where('id', '=', ready)
      .executeTakeFirstOrThrow();
    const base = Date.parse('2020-01-01T00:00:00.000Z');
    for (let i = 0; i < 30; i++) {
      await db
        .insertInto('ehr_launch')
        .values({
          ...template,
          id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          access_token: null,
          refresh_token: null,
          created_at: new Date(base + i * 1000).toISOString(),
        })
        .execute();
    }
    const first = await client.get('/admin/launches?status=ready');
    const older = /href="(\/admin\/launches\?status=ready&amp;before=[^"]+)" rel="next"/.exec(
      first.body,
    )?.[1];
    assert.ok(older, 'an Older link');
    assert.ok(!/rel="prev"/.test(first.body), 'no Newer link on the first page');
    const second = await client.get(older.replaceAll('&amp;', '&'));
    assert.equal(second.statusCode, 200);
    const ids = [...second.body.matchAll(/href="\/admin\/audit\?launch=([0-9a-f-]{36})"/g)].map((m) => m[1]);
    assert.deepEqual(
      ids,
      [5, 4, 3, 2, 1, 0].map((i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
    );
    const newer = /href="(\/admin\/launches\?status=ready&amp;after=[^"]+)" rel="prev"/.exec(
      second.body,
    )?.[1];
    assert.ok(newer, 'a Newer link back');
    const back = await client.get(newer.replaceAll('&amp;', '&'));
    const backIds = [...back.body.matchAll(/href="\/admin\/audit\?launch=([0-9a-f-]{36})"/g)].map(
      (m) => m[1],
    );
    assert.equal(backIds.length, 25);
    assert.equal(backIds[24], '00000000-0000-4000-8000-000000000006');
  });

  it('shows the audit trail newest first, filtered by launch id', async () => {
    const all = await client.get('/admin/audit');
    assert.equal(all.statusCode, 200);
    assert.ok(all.body.indexOf('launch.failed') < all.body.indexOf('operator.signed_in'), 'newest first');
    const one = await client.get(`/admin/audit?launch=${ready}`);
    assert.match(one.body, /launch\.started/);
    assert.match(one.body, /launch\.ready/);
    assert.ok(!one.body.includes('launch.failed'));
    assert.ok(!one.body.includes('operator.signed_in'));
    const bad = await client.get('/admin/audit?launch=not-a-uuid');
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /id="launch-error">Enter a launch id/);
  });

  it('shows rows other writers add (the FHIR proxy’s), escaped, and only for this org', async () => {
    const { db } = stack.gateway.services;
    await recordAudit(db, {
      action: 'fhir.read',
      actor: 'api_key:abc',
      orgId: stack.orgId,
      launchId: ready,
      details: { path: 'Patient/12724066', note: '<img src=x onerror=alert(1)>' },
    });
    await recordAudit(db, {
      action: 'fhir.read',
      actor: 'api_key:other-org',
      orgId: 'org_other',
      launchId: ready,
    });
    const { body } = await client.get(`/admin/audit?launch=${ready}`);
    assert.match(body, /fhir\.read/);
    assert.match(body, /Patient\/12724066/);
    assert.ok(body.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!body.includes('<img src=x'));
    assert.ok(!body.includes('api_key:other-org'));
  });

  it('creates an API key shown once, lists it by prefix, and revoking it stops the API accepting it', async () => {
    const created = await client.submit('/admin/settings/api-keys', '/admin/settings/api-keys', {});
    assert.equal(created.statusCode, 303);
    const shown = await client.get('/admin/settings/api-keys');
    const key = /id="new_api_key" value="(cs_test_[A-Za-z0-9]{12}_[A-Za-z0-9]{40})"/.exec(shown.body)?.[1];
    assert.ok(key, 'the new key is on the page');
    const prefix = key.slice(8, 20);
    assert.equal((await readContext(stack, ready, key)).response.status, 200, 'the key works');

    const again = await client.get('/admin/settings/api-keys');
    assert.ok(!again.body.includes(key), 'shown once');
    assert.ok(again.body.includes(`cs_test_${prefix}_…`));
    const { db } = stack.gateway.services;
    const row = await db
      .selectFrom('api_key')
      .select(['id', 'key_hash'])
      .where('prefix', '=', prefix)
      .executeTakeFirstOrThrow();
    assert.ok(!again.body.includes(row.key_hash));

    const confirm = await client.get(`/admin/settings/api-keys/${row.id}/revoke`);
    assert.match(confirm.body, /Apps using this key stop working at once/);
    const revoked = await client.post(`/admin/settings/api-keys/${row.id}/revoke`, {
      _csrf: csrfTokenOf(confirm.body),
    });
    assert.equal(revoked.statusCode, 303);
    const after = await client.get('/admin/settings/api-keys');
    assert.match(after.body, /Revoked cs_test_[A-Za-z0-9]{12}_…\./);
    assert.equal((await readContext(stack, ready, key)).response.status, 401, 'the API refuses it now');

    const events = await db
      .selectFrom('audit_event')
      .select(['action', 'actor', 'details'])
      .where('action', 'in', ['api_key.created', 'api_key.revoked'])
      .where('actor', '=', `operator:${EMAIL}`)
      .execute();
    assert.deepEqual(events.map((e) => e.action).sort(), ['api_key.created', 'api_key.revoked']);
    assert.ok(!JSON.stringify(events).includes(key));
  });

  it('shows the signing keys: the JWKS exactly as served, kids, algorithms and ages', async () => {
    const jwks = await (await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`)).json();
    const { body } = await client.get('/admin/settings/signing-keys');
    for (const key of (jwks as { keys: { kid: string; alg: string }[] }).keys) {
      assert.ok(body.includes(key.kid));
    }
    assert.match(body, /RS384/);
    assert.match(body, /ES384/);
    assert.match(body, /signs now/);
    assert.match(body, /less than a minute/);
    assert.ok(!body.includes('"d":'), 'no private key material');
  });

  it('answers htmx requests without a session with HX-Redirect to sign-in instead of a partial page', async () => {
    const stranger = new ConsoleClient(stack.gateway);
    const response = await stranger.get('/admin/launches?status=ready', { 'hx-request': 'true' });
    assert.equal(response.statusCode, 204);
    assert.equal(
      response.headers['hx-redirect'],
      `/admin/sign-in?next=${encodeURIComponent('/admin/launches?status=ready')}`,
    );
  });
});
