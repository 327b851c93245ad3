/**
 * Settings → Connections for every vendor (issue 15 part 2): Cerner, Epic and SMART (generic)
 * listed, each page with the guide's structure and its own Launch URL, the assertion algorithm and
 * jku, each vendor's scope rules, and the connection check against what each linked source's
 * SMART configuration advertises.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findConnection } from '../src/settings/connections.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import {
  assertInOrder,
  type ConsoleApp,
  type ConsoleClient,
  fieldError,
  signedIn,
  startConsoleApp,
} from './support/admin-console.ts';

const page = (vendor: string) => `/admin/settings/connections/${vendor}`;
const BASE_FORM = {
  app_launch_url: 'https://app.example.org/launch',
  cds_endpoint: '',
  use_custom_credentials: 'on',
  client_id: 'client-123',
  auth_method: 'private_key_jwt',
  signing_alg: 'auto',
};

describe('Settings → Connections: Cerner, Epic and SMART (generic)', () => {
  let consoleApp: ConsoleApp;
  let client: ConsoleClient;
  before(async () => {
    consoleApp = await startConsoleApp();
    client = await signedIn(consoleApp);
  });
  after(() => consoleApp.close());

  it('lists the three, each linking to its page', async () => {
    const { body } = await client.get('/admin/settings/connections');
    for (const [vendor, label] of [
      ['cerner', 'Cerner'],
      ['epic', 'Epic'],
      ['smart', 'SMART \\(generic\\)'],
    ]) {
      assert.match(
        body,
        new RegExp(`<a href="/admin/settings/connections/${vendor}"><strong>${label}</strong></a>`),
      );
    }
  });

  it('Epic’s page has the Cerner page’s structure, its own copy, its Launch URL and the assertion settings', async () => {
    const { body, statusCode } = await client.get(page('epic'));
    assert.equal(statusCode, 200);
    assertInOrder(body, [
      'Epic Clinical Workflow',
      '>About<',
      '>App launch URL<',
      '>CDS endpoint<',
      '>Launch URL<',
      '>CDS Hooks URL<',
      '>Use custom credentials<',
      '>Client ID<',
      '>Client secret<',
      '>Authentication method<',
      '>Assertion algorithm<',
      '>Send jku<',
      '>Redirect URI<',
      '>JWKS URI<',
      '>Scopes<',
    ]);
    assert.match(body, /Copy these into Epic on FHIR \(Build Apps\)/);
    assert.match(body, /Non-Production Client ID and a Client ID for production/);
    assert.match(body, /<a class="tab" href="\?environment=sandbox">Non-production<\/a>/);
    assert.ok(
      body.includes(`http://127.0.0.1:3999/api/auth/smart/launch/${consoleApp.orgId}`),
      'the org’s Launch URL',
    );
    assert.match(body, /<option value="private_key_jwt" selected>/, 'Epic starts with private_key_jwt');
    assert.match(body, /<option value="auto" selected>Automatic/);
    assert.match(
      body,
      /id="resolved-scopes"[^>]*>openid fhirUser launch user\/Patient\.read user\/Encounter\.read user\/Observation\.read offline_access</,
    );
  });

  it('saves Epic’s assertion algorithm and jku, and audits which fields changed', async () => {
    const response = await client.submit(page('epic'), page('epic'), {
      ...BASE_FORM,
      signing_alg: 'ES384',
      assertion_jku: 'on',
      scopes: 'openid fhirUser launch user/Patient.read',
    });
    assert.equal(response.statusCode, 303, response.body);
    const saved = await findConnection(consoleApp.app.services.db, consoleApp.orgId, 'epic');
    assert.equal(saved?.signingAlg, 'ES384');
    assert.equal(saved?.assertionJku, true);
    const again = await client.get(page('epic'));
    assert.match(again.body, /<option value="ES384" selected>/);
    assert.match(again.body, /id="assertion_jku" name="assertion_jku" value="on" checked/);
    const [event] = await consoleApp.app.services.db
      .selectFrom('audit_event')
      .select('details')
      .where('action', '=', 'connection.created')
      .execute();
    assert.match(JSON.parse(event?.details ?? '{}').fields, /signing_alg,assertion_jku/);

    const bad = await client.submit(page('epic'), page('epic'), { ...BASE_FORM, signing_alg: 'HS256' });
    assert.equal(bad.statusCode, 422);
    assert.equal(fieldError(bad.body, 'signing_alg'), 'Choose auto, RS384, ES384.');
  });

  it('wildcard scopes: accepted for SMART (generic), refused for Cerner beside the field', async () => {
    const smart = await client.submit(page('smart'), page('smart'), {
      ...BASE_FORM,
      scopes: 'openid fhirUser launch patient/*.rs user/*.rs',
    });
    assert.equal(smart.statusCode, 303, smart.body);
    assert.equal(
      (await findConnection(consoleApp.app.services.db, consoleApp.orgId, 'smart'))?.scopes,
      'openid fhirUser launch patient/*.rs user/*.rs',
    );
    const cerner = await client.submit(page('cerner'), page('cerner'), {
      ...BASE_FORM,
      scopes: 'openid user/*.read',
    });
    assert.equal(cerner.statusCode, 422);
    assert.equal(
      fieldError(cerner.body, 'scopes'),
      'Wildcard scopes are not supported by Cerner; list each resource.',
    );
  });

  it('checks the connection against each linked source’s SMART configuration, and shows its standalone link', async () => {
    const { db } = consoleApp.app.services;
    const source = await addFhirSource(db, {
      iss: 'http://127.0.0.1:9/fhir',
      vendor: 'smart',
      environment: 'sandbox',
      name: 'Reference EHR',
    });
    await linkOrgToSource(db, { orgId: consoleApp.orgId, sourceId: source.id, actor: 'test' });
    const discovery = {
      issuer: null,
      authorizationEndpoint: 'http://127.0.0.1:9/auth',
      tokenEndpoint: 'http://127.0.0.1:9/token',
      jwksUri: null,
      revocationEndpoint: null,
      tokenEndpointAuthMethods: ['client_secret_basic'],
      tokenEndpointAuthSigningAlgs: ['RS384'],
      codeChallengeMethods: ['S256'],
      capabilities: ['launch-ehr', 'launch-standalone', 'client-confidential-symmetric', 'permission-v2'],
      scopesSupported: ['openid', 'fhirUser', 'launch'],
      source: 'smart-configuration',
    };
    await db
      .updateTable('fhir_source')
      .set({ discovery: JSON.stringify(discovery), discovered_at: new Date().toISOString() })
      .where('id', '=', source.id)
      .execute();

    const { body } = await client.get(page('smart'));
    assert.match(body, /Launches cannot start yet/);
    assert.match(
      body,
      /Reference EHR \(http:\/\/127\.0\.0\.1:9\/fhir\): The connection authenticates with private_key_jwt, but the EHR’s token endpoint accepts only client_secret_basic\./,
    );
    assert.match(body, /id="source-checks"/);
    assert.match(body, /Mismatch/);
    assert.ok(
      body.includes(
        `http://127.0.0.1:3999/api/auth/smart/standalone/${consoleApp.orgId}?iss=http%3A%2F%2F127.0.0.1%3A9%2Ffhir`,
      ),
      'the standalone launch link of the source',
    );
    assert.match(body, /Not in its <code>scopes_supported<\/code>[^<]*<code>patient\/\*\.rs<\/code>/);

    const fixed = await client.submit(page('smart'), page('smart'), {
      ...BASE_FORM,
      auth_method: 'client_secret_basic',
      client_secret: 'a-secret',
      scopes: 'openid fhirUser launch patient/*.rs user/*.rs',
    });
    assert.equal(fixed.statusCode, 303, fixed.body);
    const after = await client.get(page('smart'));
    assert.match(after.body, /Launches from SMART \(generic\) can start with these settings\./);
    assert.match(after.body, /Matches/);
  });
});
