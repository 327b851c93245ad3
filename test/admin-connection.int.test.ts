/**
 * Settings → Connections → Cerner over HTTP: the guide's fields in the guide's order, inline
 * validation keeping what was typed, the write-only client secret, audit events, and CSRF
 * refusal on every console form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findConnection } from '../src/settings/connections.ts';
import {
  assertInOrder,
  type ConsoleApp,
  type ConsoleClient,
  csrfTokenOf,
  fieldError,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';

const CERNER = '/admin/settings/connections/cerner';
const SECRET = 'Zx9-very-secret-client-secret-value';

describe('Settings → Connections → Cerner', () => {
  let consoleApp: ConsoleApp;
  let client: ConsoleClient;
  before(async () => {
    consoleApp = await startConsoleApp();
    client = await signedIn(consoleApp);
  });
  after(() => consoleApp.close());

  it('lists Cerner under Connections, linking to its Clinical Workflow page', async () => {
    const response = await client.get('/admin/settings/connections');
    assert.equal(response.statusCode, 200);
    assert.match(
      response.body,
      /<a href="\/admin\/settings\/connections\/cerner"><strong>Cerner<\/strong><\/a>/,
    );
    assert.match(response.body, /Not configured/);
  });

  it('shows the guide’s fields: About, App launch URL, CDS endpoint, CDS caching off, then the URLs to copy and the credentials', async () => {
    const { body, statusCode } = await client.get(CERNER);
    assert.equal(statusCode, 200);
    assertInOrder(body, [
      'Cerner Clinical Workflow',
      '>About<',
      '>App launch URL<',
      '>CDS endpoint<',
      '>CDS caching<',
      '>Launch URL<',
      '>CDS Hooks URL<',
      '>Use custom credentials<',
      '>Client ID<',
      '>Client secret<',
      '>Authentication method<',
      '>Redirect URI<',
      '>JWKS URI<',
      '>Scopes<',
    ]);
    assert.match(
      body,
      /id="cds_caching" name="cds_caching" value="on"(?! checked)/,
      'CDS caching off by default',
    );
    const { orgId } = consoleApp;
    assert.ok(body.includes(`value="http://127.0.0.1:3999/api/auth/smart/launch/${orgId}" readonly`));
    assert.ok(body.includes(`value="http://127.0.0.1:3999/api/cds/${orgId}/cds-services" readonly`));
    assert.ok(body.includes('value="http://127.0.0.1:3999/api/auth/smart/launch-callback" readonly'));
    assert.ok(body.includes('value="http://127.0.0.1:3999/api/auth/.well-known/jwks" readonly'));
    assert.match(
      body,
      /id="resolved-scopes"[^>]*>openid fhirUser launch user\/Patient\.read user\/Encounter\.read user\/Observation\.read online_access</,
    );
    assert.match(body, /Not set up yet/);
  });

  it('shows every validation error next to its field, keeps what was typed, and saves nothing', async () => {
    const response = await client.submit(CERNER, CERNER, {
      app_launch_url: 'ftp://app.example.org/<launch>',
      cds_endpoint: 'http://cds.example.org/hooks',
      use_custom_credentials: 'on',
      client_id: '',
      client_secret: SECRET,
      auth_method: 'private_key_jwt',
      scopes: 'openid user/*.read',
    });
    assert.equal(response.statusCode, 422);
    const { body } = response;
    assert.equal(
      fieldError(body, 'app_launch_url'),
      'App launch URL must use https (http is allowed only for localhost).',
    );
    assert.equal(
      fieldError(body, 'cds_endpoint'),
      'CDS endpoint must use https (http is allowed only for localhost).',
    );
    assert.match(fieldError(body, 'client_id') ?? '', /Enter the Client ID/);
    assert.match(fieldError(body, 'scopes') ?? '', /Wildcard scopes are not supported/);
    assert.match(body, /value="ftp:\/\/app\.example\.org\/&lt;launch&gt;"/, 'typed value kept, escaped');
    assert.match(
      body,
      /id="app_launch_url"[^>]*aria-describedby="app_launch_url-hint app_launch_url-error"[^>]*aria-invalid="true"/,
    );
    assert.match(body, />openid user\/\*\.read<\/textarea>/);
    assert.match(body, /id="use_custom_credentials" name="use_custom_credentials" value="on" checked/);
    assert.ok(!body.includes(SECRET), 'the typed secret is not sent back');
    assert.match(fieldError(body, 'client_secret') ?? '', /was not saved/);
    assert.equal(await findConnection(consoleApp.app.services.db, consoleApp.orgId, 'cerner'), undefined);
  });

  it('saves the connection (redirect after post), keeps the secret write-only, and audits who changed what', async () => {
    const response = await client.submit(CERNER, CERNER, {
      app_launch_url: 'https://app.example.org/launch',
      cds_endpoint: '',
      use_custom_credentials: 'on',
      client_id: '52f33973-0000-4000-8000-000000000000',
      client_secret: SECRET,
      auth_method: 'client_secret_basic',
      scopes: 'openid fhirUser launch user/Patient.read online_access',
    });
    assert.equal(response.statusCode, 303, response.body);
    assert.equal(response.headers.location, CERNER);

    const page = await client.get(CERNER);
    assert.match(page.body, /Saved the Cerner connection\./);
    assert.match(page.body, /A client secret is stored\. It is never shown\./);
    assert.ok(!page.body.includes(SECRET), 'the secret is never rendered');
    assert.match(page.body, /id="client_secret"[^>]*value=""/);
    assert.match(
      page.body,
      /id="resolved-scopes"[^>]*>openid fhirUser launch user\/Patient\.read online_access</,
    );
    assert.match(page.body, /Launches cannot start yet/, 'no Cerner FHIR source registered yet');

    const { db } = consoleApp.app.services;
    const stored = await db
      .selectFrom('connection_credential')
      .innerJoin('connection', 'connection.id', 'connection_credential.connection_id')
      .selectAll('connection_credential')
      .where('org_id', '=', consoleApp.orgId)
      .orderBy('environment')
      .execute();
    assert.deepEqual(
      stored.map((row) => row.environment),
      ['production', 'sandbox'],
      'saved for both environments',
    );
    for (const row of stored) {
      assert.ok(row.client_secret && !row.client_secret.includes(SECRET), 'sealed at rest');
      assert.equal(row.use_custom_credentials, 1);
    }

    const events = await db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'connection.created')
      .execute();
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.actor, `operator:${consoleApp.email}`);
    assert.equal(event?.org_id, consoleApp.orgId);
    assert.ok(event?.request_id);
    assert.deepEqual(JSON.parse(event?.details ?? '{}'), {
      vendor: 'cerner',
      environment: 'both',
      fields: 'app_launch_url,use_custom_credentials,client_id,scopes',
      client_secret: 'set',
    });
    assert.ok(!JSON.stringify(events).includes(SECRET));
  });

  it('keeps the stored secret when the field is left empty, and removes it only when asked', async () => {
    const { db, sealer, config } = consoleApp.app.services;
    const fields = {
      app_launch_url: 'https://app.example.org/launch',
      use_custom_credentials: 'on',
      client_id: '52f33973-0000-4000-8000-000000000000',
      auth_method: 'client_secret_basic',
      scopes: 'openid fhirUser launch user/Patient.read online_access',
    };
    assert.equal((await client.submit(CERNER, CERNER, fields)).statusCode, 303);
    const kept = await findConnection(db, consoleApp.orgId, 'cerner');
    assert.equal(kept?.credentials.production.hasClientSecret, true);
    const { findConnectionAndClient } = await import('../src/settings/connections.ts');
    for (const environment of ['sandbox', 'production'] as const) {
      const found = await findConnectionAndClient(
        db,
        sealer,
        config,
        consoleApp.orgId,
        'cerner',
        environment,
      );
      assert.equal(found?.client?.openSecret(), SECRET);
    }

    assert.equal(
      (await client.submit(CERNER, CERNER, { ...fields, remove_client_secret: 'on' })).statusCode,
      303,
    );
    const removedFrom = await findConnection(db, consoleApp.orgId, 'cerner');
    assert.equal(removedFrom?.credentials.sandbox.hasClientSecret, false);
    assert.equal(removedFrom?.credentials.production.hasClientSecret, false);
    const removed = await db
      .selectFrom('audit_event')
      .select('details')
      .where('action', '=', 'connection.updated')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(removed.details ?? '{}').client_secret, 'removed');
  });

  it('refuses a form no console page sends (a repeated field, an unknown environment): 400 page, nothing saved', async () => {
    const { db } = consoleApp.app.services;
    const before = await findConnection(db, consoleApp.orgId, 'cerner');
    const page = await client.get(CERNER);
    const token = csrfTokenOf(page.body);
    const post = (payload: string) =>
      consoleApp.app.inject({
        method: 'POST',
        url: CERNER,
        headers: { cookie: client.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(token)}&${payload}`,
      });
    for (const [payload, field] of [
      ['client_id=a&client_id=b', 'client_id'],
      ['credentials_for=staging', 'credentials_for'],
      [`app_launch_url=${'x'.repeat(5000)}`, 'app_launch_url'],
    ] as const) {
      const answer = await post(payload);
      assert.equal(answer.statusCode, 400, payload.slice(0, 40));
      assert.match(answer.body, /invalid_data/);
      assert.match(answer.body, new RegExp(field));
      assert.doesNotMatch(answer.body, /xxxxxxxxxx|staging/, 'the value is not echoed');
    }
    assert.deepEqual(await findConnection(db, consoleApp.orgId, 'cerner'), before);
  });

  it('refuses a POST without the CSRF token (403 page) and changes nothing', async () => {
    const { db } = consoleApp.app.services;
    const before = await findConnection(db, consoleApp.orgId, 'cerner');
    const keysBefore = await db.selectFrom('api_key').select('id').execute();
    for (const [url, form] of [
      [CERNER, { app_launch_url: 'https://evil.example/launch', auth_method: 'private_key_jwt' }],
      ['/admin/settings/api-keys', {}],
      ['/admin/sign-out', {}],
      [
        '/admin/settings/fhir-sources',
        { vendor: 'cerner', environment: 'production', fhir_base_url: 'https://evil.example/r4' },
      ],
    ] as const) {
      for (const token of [undefined, 'forged-token', ' ']) {
        const response = await client.post(url, {
          ...form,
          ...(token === undefined ? {} : { _csrf: token }),
        });
        assert.equal(response.statusCode, 403, `${url} ${token}`);
        assert.match(response.body, /This form could not be accepted/);
        assert.equal(response.headers['x-frame-options'], 'DENY');
      }
    }
    assert.deepEqual(await findConnection(db, consoleApp.orgId, 'cerner'), before);
    assert.deepEqual(await db.selectFrom('api_key').select('id').execute(), keysBefore);
    assert.equal((await client.get('/admin/launches')).statusCode, 200, 'still signed in');
  });

  it('refuses another session’s CSRF token, and accepts the htmx header in place of the field', async () => {
    const other = await signedIn(consoleApp);
    const otherToken = csrfTokenOf((await other.get('/admin/launches')).body);
    const refused = await client.post('/admin/settings/api-keys', { _csrf: otherToken });
    assert.equal(refused.statusCode, 403);

    const ownToken = csrfTokenOf((await client.get('/admin/launches')).body);
    const viaHeader = await client.post(
      '/admin/settings/api-keys',
      {},
      { 'x-csrf-token': ownToken, 'hx-request': 'true' },
    );
    assert.equal(viaHeader.statusCode, 303);
  });

  it('edits one environment’s credentials, and shows both side by side when they differ', async () => {
    const { db } = consoleApp.app.services;
    const base = {
      app_launch_url: 'https://app.example.org/launch',
      use_custom_credentials: 'on',
      auth_method: 'private_key_jwt',
      scopes: 'openid fhirUser launch user/Patient.read online_access',
    };
    const both = await client.submit(CERNER, CERNER, {
      ...base,
      client_id: 'non-production-id',
      credentials_for: 'both',
    });
    assert.equal(both.statusCode, 303);
    assert.equal(
      (await client.get(CERNER)).body.includes('id="credentials-by-environment"'),
      false,
      'the same: one form',
    );

    const production = await client.submit(`${CERNER}?environment=production`, CERNER, {
      ...base,
      client_id: 'production-id',
      credentials_for: 'production',
    });
    assert.equal(production.statusCode, 303);
    assert.equal(production.headers.location, `${CERNER}?environment=production`);
    const saved = await findConnection(db, consoleApp.orgId, 'cerner');
    assert.equal(saved?.credentials.sandbox.clientId, 'non-production-id', 'sandbox untouched');
    assert.equal(saved?.credentials.production.clientId, 'production-id');

    const page = await client.get(CERNER);
    assert.ok(page.body.includes('id="credentials-by-environment"'), 'both shown when they differ');
    assert.ok(page.body.includes('non-production-id') && page.body.includes('production-id'));
    assert.match(page.body, /name="credentials_for" value="sandbox"/, 'the form edits one of them');
    const audit = await db
      .selectFrom('audit_event')
      .select('details')
      .where('action', '=', 'connection.updated')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(audit.details ?? '{}').environment, 'production');
    await client.submit(CERNER, CERNER, { ...base, client_id: 'non-production-id', credentials_for: 'both' });
  });

  it('answers an unknown vendor with a console 404 page', async () => {
    const response = await client.get('/admin/settings/connections/nope');
    assert.equal(response.statusCode, 404);
    assert.match(response.headers['content-type'] as string, /text\/html/);
    assert.match(response.body, /There is no such connection/);
  });
});
