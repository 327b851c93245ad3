/**
 * Issue 14, parts 7 and 8, on the gateway's side of the guide: the front door (`GET /`), the
 * Scopes row checked against what the EHR granted, the Launch URI registered as the callback
 * path, a refused client secret, and /launch-debug with an id that names no launch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOperator } from '../src/admin/operators.ts';
import { setConnection } from '../src/settings/connections.ts';
import { ConsoleClient, PASSWORD } from './support/admin-console.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { sandboxLaunch } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const CERNER = '/admin/settings/connections/cerner';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('GET /: a landing page for browsers, JSON for API clients', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('gives a browser a page linking the console, the local sandbox’s Code Console and the docs', async () => {
    const response = await fetch(`${stack.gatewayUrl}/`, { headers: { accept: BROWSER_ACCEPT } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(
      response.headers.get('content-security-policy') ?? '',
      /default-src 'none'.*frame-ancestors 'none'/,
    );
    assert.equal(response.headers.get('vary'), 'Accept');
    const page = await response.text();
    assert.match(page, new RegExp(`<a href="${stack.gatewayUrl}/admin">Admin console</a>`));
    assert.match(
      page,
      new RegExp(
        `<a href="${stack.sandbox.origin}/developer/smart-on-fhir/apps">Local Cerner sandbox: Code Console</a>`,
      ),
    );
    assert.ok(page.includes(`<a href="${stack.gatewayUrl}/docs/guide.md">guide.md</a>`), 'links the guide');
    assert.ok(!page.includes(stack.orgId) && !page.includes(stack.apiKey), 'names no org and no key');
  });

  it('serves the listed documents as text, and nothing else', async () => {
    const guide = await fetch(`${stack.gatewayUrl}/docs/guide.md`);
    assert.equal(guide.status, 200);
    assert.equal(guide.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await guide.text(), /^# /);
    for (const name of ['package.json', '..%2Fpackage.json', '%2E%2E%2FREADME.md', 'guide']) {
      const refused = await fetch(`${stack.gatewayUrl}/docs/${name}`);
      assert.equal(refused.status, 404, name);
      assert.equal(
        ((await refused.json()) as { error: { code: string } }).error.code,
        'route_not_found',
        name,
      );
    }
  });

  it('answers an API client with JSON, not a 404', async () => {
    const response = await fetch(`${stack.gatewayUrl}/`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await response.json(), {
      resource_type: 'service',
      name: 'Chartside',
      links: {
        console: `${stack.gatewayUrl}/admin`,
        health: `${stack.gatewayUrl}/health`,
        jwks: `${stack.gatewayUrl}/api/auth/.well-known/jwks`,
        launch_contexts: `${stack.gatewayUrl}/launch-contexts/{mb_launch}`,
        code_consoles: [`${stack.sandbox.origin}/developer/smart-on-fhir/apps`],
        docs: ['README.md', 'guide.md', 'cerner.md', 'architecture.md'].map(
          (name) => `${stack.gatewayUrl}/docs/${name}`,
        ),
      },
    });
    const post = await fetch(`${stack.gatewayUrl}/`, { method: 'POST' });
    assert.equal(post.status, 404, 'other methods go through the error catalogue');
    assert.equal(((await post.json()) as { error: { code: string } }).error.code, 'route_not_found');
  });
});

describe('the Scopes row against the scope the EHR granted on the last launch', () => {
  let stack: Stack;
  let client: ConsoleClient;
  before(async () => {
    stack = await startStack();
    const email = 'ops@first-run.example';
    await createOperator(stack.gateway.services.db, { orgId: stack.orgId, email, password: PASSWORD });
    client = new ConsoleClient(stack.gateway);
    assert.equal((await client.signIn(email)).statusCode, 303);
  });
  after(() => stack.close());

  function scopeCheck(body: string): string {
    const match = /id="scope-check">([\s\S]*?)<\/(p|div)>/.exec(body);
    assert.ok(match, 'the Scopes row has its check');
    return match[1] as string;
  }

  it('says there is nothing to compare with before the first launch', async () => {
    assert.match(scopeCheck((await client.get(CERNER)).body), /No launch has been granted scopes yet/);
  });

  it('confirms a match after a launch granted exactly the Scopes row', async () => {
    const { callbackResponse } = await driveLaunch(stack);
    const id = launchIdFrom(callbackResponse);
    const body = (await client.get(CERNER)).body;
    assert.match(scopeCheck(body), /Matches/);
    assert.match(body, new RegExp(`href="/admin/audit\\?launch=${id}">last launch</a>`));
  });

  it('shows "Cerner reviews any scope inflation" when the row asks for more than Cerner granted', async () => {
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', {
      scopes:
        'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read user/Condition.read online_access',
    });
    const { callbackResponse } = await driveLaunch(stack);
    const id = launchIdFrom(callbackResponse);
    const stored = await db
      .selectFrom('ehr_launch')
      .select(['requested_scope', 'scope'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.match(stored.requested_scope, /user\/Condition\.read/);
    assert.doesNotMatch(stored.scope ?? '', /Condition/, 'the sandbox granted only what is registered');

    const body = (await client.get(CERNER)).body;
    const notice =
      /<div class="notice warn" role="status" id="scope-check">([\s\S]*?)<\/div>/.exec(body)?.[1] ?? '';
    assert.match(notice, /The EHR granted different scopes on the/);
    assert.match(notice, /Requested here but not granted: <code>user\/Condition\.read<\/code>/);
    assert.match(notice, /Cerner reviews any scope inflation/);
  });
});

describe('guide pitfalls at the Redirect URI', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ appLaunchUrl: (gateway) => `${gateway}/launch-debug` });
  });
  after(() => stack.close());

  it('a SMART Launch URI registered as the callback path gets a page that says so, and starts nothing', async () => {
    const ehrLaunch = await sandboxLaunch(stack.sandbox, stack.clientId);
    const atCallback = new URL(`${stack.gatewayUrl}/api/auth/smart/launch-callback`);
    atCallback.search = new URL(ehrLaunch.launch_url).search;
    const before = await stack.gateway.services.db.selectFrom('ehr_launch').select('id').execute();
    const response = await fetch(atCallback, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    const page = await response.text();
    assert.match(
      page,
      /<h1>The SMART Launch URI registered in the EHR is Chartside’s Redirect URI \(the callback path\)\.<\/h1>/,
    );
    assert.match(page, new RegExp(`${stack.gatewayUrl}/api/auth/smart/launch/&lt;your-org-id&gt;`));
    assert.match(page, /invalid_launch_request/);
    const afterwards = await stack.gateway.services.db.selectFrom('ehr_launch').select('id').execute();
    assert.equal(afterwards.length, before.length, 'no launch was started');
  });

  it('a refused client secret: the clinician reads what to do, not the EHR’s raw error URI', async () => {
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', {
      clientSecret: 'not-the-secret-on-cerner-central',
    });
    const { callbackResponse } = await driveLaunch(stack);
    assert.equal(callbackResponse.status, 502);
    const page = await callbackResponse.text();
    assert.match(page, /<h1>The EHR refused this app’s credentials\.<\/h1>/);
    assert.match(page, /<dt>What to do<\/dt><dd>A wrong or rotated client secret/);
    assert.match(page, /<dt>EHR error<\/dt><dd>invalid_client<\/dd>/);
    assert.match(page, /token_exchange_failed/);
    assert.doesNotMatch(page, /urn:cerner|urn%3Acerner|\/errors\//, 'no raw error URI on the page');
    const row = await db
      .selectFrom('ehr_launch')
      .select(['status', 'ehr_error', 'ehr_error_uri'])
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'failed');
    assert.equal(row.ehr_error, 'invalid_client');
    assert.match(row.ehr_error_uri ?? '', /invalid_client_credentials/, 'kept for the administrator');
  });

  it('/launch-debug with an id that names no launch says so, never "Open this page with ?mb_launch="', async () => {
    for (const query of [
      'mb_launch=0b7c4a52-55a6-4a4e-9a3b-2f1e0c9d8e7f',
      'mb_launch=not-a-launch',
      `mb_launch=${'a'.repeat(300)}`,
      'mb_launch=0b7c4a52-55a6-4a4e-9a3b-2f1e0c9d8e7f&mb_launch=x',
    ]) {
      const response = await fetch(`${stack.gatewayUrl}/launch-debug?${query}`);
      assert.ok(response.status === 404 || response.status === 400, `${query}: ${response.status}`);
      assert.doesNotMatch(await response.text(), /Open this page/, query);
    }
  });
});
