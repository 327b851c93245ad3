/**
 * The console's Go-live checklist on Settings: not run when the page loads (it calls out and can
 * take seconds), run by "Run go-live check" (POST with the CSRF token), and every detail escaped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setConnection } from '../src/settings/connections.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import {
  type ConsoleApp,
  type ConsoleClient,
  csrfTokenOf,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';

const HOSTILE_NAME = 'Tenant <script>alert(1)</script>';

async function notReadyOrg(consoleApp: ConsoleApp) {
  const { db, sealer, config } = consoleApp.app.services;
  // A private address literal: discovery is refused before any connection is made.
  const source = await addFhirSource(db, {
    iss: 'https://10.9.8.7/fhir/r4',
    vendor: 'cerner',
    environment: 'production',
    name: HOSTILE_NAME,
  });
  await linkOrgToSource(db, { orgId: consoleApp.orgId, sourceId: source.id, actor: 'test' });
  await setConnection(db, sealer, config, consoleApp.orgId, 'cerner', {
    appLaunchUrl: 'https://app.example.com/launch',
    useCustomCredentials: true,
    clientId: 'prod-client',
    authMethod: 'private_key_jwt',
  });
}

describe('Settings → Go-live checklist', () => {
  let consoleApp: ConsoleApp;
  let operator: ConsoleClient;
  before(async () => {
    // Nothing listens on port 9 of loopback: our own URL is refused at once.
    consoleApp = await startConsoleApp({ publicUrl: 'http://127.0.0.1:9' });
    await notReadyOrg(consoleApp);
    operator = await signedIn(consoleApp);
  });
  after(() => consoleApp.close());

  it('shows the card with its button, without running the checks on load', async () => {
    const page = await operator.get('/admin/settings');
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes('Go-live checklist'));
    assert.ok(page.body.includes('Run go-live check'));
    assert.ok(page.body.includes('action="/admin/settings/go-live"'));
    assert.ok(page.body.includes('Not run yet.'));
    assert.ok(!page.body.includes('public_url_https'), 'no check ran');
  });

  it('"Run go-live check" lists every failing check, in words, with its detail escaped', async () => {
    const response = await operator.submit('/admin/settings', '/admin/settings/go-live', {});
    assert.equal(response.statusCode, 200, response.body);
    const body = response.body;
    assert.ok(body.includes('Not ready for production.'));
    for (const [name, words] of [
      ['public_url_https', 'PUBLIC_URL uses https'],
      ['public_url_answers', 'The gateway answers at PUBLIC_URL'],
      ['jwks_reachable', 'Our JWKS is reachable'],
      ['production_sources_discovery', 'Production EHRs answer SMART discovery'],
      ['production_credentials', 'Production credentials'],
      ['app_launch_url', 'App launch URL'],
      ['launch_uri', 'Launch URI to register'],
    ]) {
      assert.ok(body.includes(`<strong>${words}</strong><span class="sub mono">${name}</span>`), name);
    }
    // Only the credentials pass: everything else about this org and deployment is not ready.
    assert.equal(body.match(/<span class="badge bad">Fail<\/span>/g)?.length, 6);
    assert.equal(body.match(/<span class="badge ok">Pass<\/span>/g)?.length, 1);
    assert.ok(body.includes('1 of 7 checks pass'));
    assert.ok(body.includes('PUBLIC_URL is http://127.0.0.1:9'));
    assert.ok(body.includes('https://app.example.com/launch points at app.example.com'));
    assert.ok(body.includes(`/api/auth/smart/launch/${consoleApp.orgId}`));
    assert.ok(body.includes('Tenant &lt;script&gt;alert(1)&lt;/script&gt;'), 'the source is named, escaped');
    assert.ok(!body.includes('<script>alert(1)'), 'never raw');
  });

  it('the htmx request gets the same page (the card is swapped in by id); without the CSRF token: 403', async () => {
    const page = await operator.get('/admin/settings');
    const swapped = await operator.post(
      '/admin/settings/go-live',
      {},
      { 'hx-request': 'true', 'x-csrf-token': csrfTokenOf(page.body) },
    );
    assert.equal(swapped.statusCode, 200);
    assert.ok(swapped.body.includes('<section class="card" id="go-live"'));
    assert.ok(swapped.body.includes('Not ready for production.'));

    const forged = await operator.post('/admin/settings/go-live', {});
    assert.equal(forged.statusCode, 403);
    assert.ok(!forged.body.includes('Not ready for production.'));
  });

  it('a platform admin runs it for the organization the session shows', async () => {
    const adminApp = await startConsoleApp({ publicUrl: 'http://127.0.0.1:9', role: 'platform_admin' });
    try {
      await notReadyOrg(adminApp);
      const admin = await signedIn(adminApp);
      const response = await admin.submit('/admin/settings', '/admin/settings/go-live', {});
      assert.equal(response.statusCode, 200);
      assert.ok(response.body.includes(`/api/auth/smart/launch/${adminApp.orgId}`));
      assert.ok(response.body.includes('Tenant &lt;script&gt;'));
    } finally {
      await adminApp.close();
    }
  });
});
