/**
 * Settings → FHIR sources over HTTP (add, discover against the local sandbox, edit, inline
 * validation), and the organization scoping of everything an operator sees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOperator } from '../src/admin/operators.ts';
import { type RunningSandbox, startSandbox } from '../src/sandbox/index.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import {
  type ConsoleApp,
  ConsoleClient,
  csrfTokenOf,
  fieldError,
  PASSWORD,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';

const CERNER = '/admin/settings/connections/cerner';

describe('Settings → FHIR sources', () => {
  let consoleApp: ConsoleApp;
  let client: ConsoleClient;
  let sandbox: RunningSandbox;
  before(async () => {
    consoleApp = await startConsoleApp({ role: 'platform_admin' });
    client = await signedIn(consoleApp);
    sandbox = await startSandbox({ port: 0, apps: [] });
  });
  after(async () => {
    await sandbox.close();
    await consoleApp.close();
  });

  it('adds a source, runs discovery at once and shows what the EHR advertises', async () => {
    const response = await client.submit('/admin/settings/fhir-sources/new', '/admin/settings/fhir-sources', {
      vendor: 'cerner',
      name: 'Local sandbox',
      fhir_base_url: sandbox.fhirBaseUrl,
      environment: 'sandbox',
    });
    assert.equal(response.statusCode, 303, response.body);
    const location = String(response.headers.location);
    assert.match(location, /^\/admin\/settings\/fhir-sources\/fhirsrc_/);
    const { body } = await client.get(location);
    assert.match(body, /Added Local sandbox\./);
    assert.match(body, /Discovery succeeded\./);
    assert.ok(
      body.includes(
        `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize`,
      ),
    );
    assert.match(body, /S256 supported/);
    assert.match(body, /private_key_jwt/);
    assert.match(body, /launch-ehr/);
    const listed = await client.get('/admin/settings/fhir-sources');
    assert.ok(listed.body.includes(sandbox.fhirBaseUrl));
    const audit = await consoleApp.app.services.db
      .selectFrom('audit_event')
      .select(['action', 'actor'])
      .where('action', '=', 'fhir_source.added')
      .execute();
    assert.deepEqual(audit, [{ action: 'fhir_source.added', actor: `operator:${consoleApp.email}` }]);
  });

  it('keeps a source whose discovery fails and says why, in our words', async () => {
    const response = await client.submit('/admin/settings/fhir-sources/new', '/admin/settings/fhir-sources', {
      vendor: 'smart',
      name: '',
      fhir_base_url: 'http://127.0.0.1:9/fhir',
      environment: 'sandbox',
    });
    assert.equal(response.statusCode, 303);
    const { body } = await client.get(String(response.headers.location));
    assert.match(body, /Discovery failed\./);
    assert.match(body, /could not reach http:\/\/127\.0\.0\.1:9/);
    assert.match(body, /Not discovered yet/);
    assert.match(body, /<h1>127\.0\.0\.1:9<\/h1>/, 'the name defaults to the host');
  });

  it('shows validation errors inline: production needs https, an iss is registered once', async () => {
    const insecure = await client.submit('/admin/settings/fhir-sources/new', '/admin/settings/fhir-sources', {
      vendor: 'cerner',
      name: 'Prod',
      fhir_base_url: 'http://127.0.0.1:8080/r4',
      environment: 'production',
    });
    assert.equal(insecure.statusCode, 422);
    assert.equal(fieldError(insecure.body, 'fhir_base_url'), 'FHIR base URL must use https.');
    assert.match(insecure.body, /value="http:\/\/127\.0\.0\.1:8080\/r4"/);

    const duplicate = await client.submit(
      '/admin/settings/fhir-sources/new',
      '/admin/settings/fhir-sources',
      {
        vendor: 'cerner',
        name: 'Again',
        fhir_base_url: sandbox.fhirBaseUrl,
        environment: 'sandbox',
      },
    );
    assert.equal(duplicate.statusCode, 422);
    assert.match(
      fieldError(duplicate.body, 'fhir_base_url') ?? '',
      /A FHIR source with this iss already exists/,
    );
  });

  it('edits a source; a new base URL drops the old discovery and discovers again', async () => {
    const { db } = consoleApp.app.services;
    const source = await db
      .selectFrom('fhir_source')
      .selectAll()
      .where('name', '=', '127.0.0.1:9')
      .executeTakeFirstOrThrow();
    const page = `/admin/settings/fhir-sources/${source.id}`;
    const response = await client.submit(page, page, {
      vendor: 'cerner',
      name: 'Sandbox, second tenant',
      fhir_base_url: `${sandbox.origin}/r4/${sandbox.tenant}/`,
      environment: 'sandbox',
    });
    assert.equal(response.statusCode, 303, response.body);
    const { body } = await client.get(page);
    assert.match(body, /Saved Sandbox, second tenant\./);
    assert.match(body, /Discovery succeeded\./);
    const updated = await db
      .selectFrom('fhir_source')
      .selectAll()
      .where('id', '=', source.id)
      .executeTakeFirstOrThrow();
    assert.equal(updated.fhir_base_url, `${sandbox.origin}/r4/${sandbox.tenant}/`);
    assert.ok(updated.discovered_at);

    const again = await client.submit(page, `${page}/discover`, {});
    assert.equal(again.statusCode, 303);
    assert.match((await client.get(page)).body, /Discovery succeeded\./);
  });
});

describe('what an operator sees is their organization’s', () => {
  let consoleApp: ConsoleApp;
  before(async () => {
    consoleApp = await startConsoleApp();
  });
  after(() => consoleApp.close());

  it('another org’s operator sees neither this org’s connection, keys nor audit trail, and cannot revoke its keys', async () => {
    const { db } = consoleApp.app.services;
    const mine = await signedIn(consoleApp);
    await mine.submit(CERNER, CERNER, {
      app_launch_url: 'https://mine.example.org/launch',
      use_custom_credentials: 'on',
      client_id: 'my-client-id-123',
      auth_method: 'private_key_jwt',
      scopes: 'openid launch',
    });
    await mine.submit('/admin/settings/api-keys', '/admin/settings/api-keys', {});
    const key = await db
      .selectFrom('api_key')
      .select(['id', 'prefix'])
      .where('org_id', '=', consoleApp.orgId)
      .executeTakeFirstOrThrow();

    const other = await createOrganization(db, { name: 'Other Clinic' });
    await createOperator(db, { orgId: other.id, email: 'other@elsewhere.example', password: PASSWORD });
    const them = new ConsoleClient(consoleApp.app);
    assert.equal((await them.signIn('other@elsewhere.example')).statusCode, 303);

    const cerner = await them.get(CERNER);
    assert.ok(!cerner.body.includes('my-client-id-123'));
    assert.ok(!cerner.body.includes('mine.example.org'));
    assert.ok(cerner.body.includes(`/api/auth/smart/launch/${other.id}`));
    assert.ok(!(await them.get('/admin/settings/api-keys')).body.includes(key.prefix));
    assert.ok(!(await them.get('/admin/audit')).body.includes(consoleApp.email));
    assert.equal((await them.get(`/admin/settings/api-keys/${key.id}/revoke`)).statusCode, 404);
    const page = await them.get('/admin/settings/api-keys');
    const revoke = await them.post(`/admin/settings/api-keys/${key.id}/revoke`, {
      _csrf: csrfTokenOf(page.body),
    });
    assert.equal(revoke.statusCode, 404);
    const row = await db
      .selectFrom('api_key')
      .select('revoked_at')
      .where('id', '=', key.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.revoked_at, null);
  });
});
