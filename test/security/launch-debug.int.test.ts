/**
 * `/launch-debug` in production (CHARTSIDE_LAUNCH_DEBUG): off by default, answering like any
 * unknown path; on, only for a signed-in console user, and only for launches of their session's
 * organization. The console's cookie is `Path=/admin`, which a browser never sends to
 * `/launch-debug`, so the page there only redirects to `/admin/launch-debug`, and the requests
 * below carry the cookie only where a browser would. Development keeps the page as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createOperator } from '../../src/admin/operators.ts';
import { SESSION_COOKIE } from '../../src/admin/sessions.ts';
import { createPendingLaunch } from '../../src/launch/ehr-launches.ts';
import { completeLaunch } from '../../src/launch/launch-completion.ts';
import { newState } from '../../src/launch/launch-state.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { ConsoleClient, PASSWORD } from '../support/admin-console.ts';
import { inProcessGateway } from './gateway.ts';

const ACCESS_TOKEN = 'ehr-access-token-never-shown';
const REFRESH_TOKEN = 'ehr-refresh-token-never-shown';
const PRODUCTION = { CHARTSIDE_ENV: 'production' };

/** A ready launch of `orgId`, stored as the callback stores one. */
async function seedLaunch(app: FastifyInstance, orgId: string): Promise<string> {
  const { db, sealer } = app.services;
  const source = await addFhirSource(db, {
    iss: `https://ehr.example.test/r4/${orgId}`,
    vendor: 'cerner',
    environment: 'production',
  });
  const pending = {
    orgId,
    fhirSourceId: source.id,
    environment: 'production',
    iss: source.fhir_base_url,
    clientId: 'client-1',
    requestedScope: 'launch openid fhirUser user/Patient.read',
    codeVerifier: 'v'.repeat(43),
    redirectUri: 'https://gw.example.org/api/auth/smart/launch-callback',
    requestId: 'seed',
  };
  const id = await createPendingLaunch(db, sealer, pending, newState());
  await completeLaunch(
    db,
    sealer,
    { id, orgId, fhirSourceId: source.id },
    {
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      expiresIn: 570,
      scope: 'launch openid fhirUser user/Patient.read',
      patient: '12724066',
      encounter: '97953483',
      needPatientBanner: true,
      smartStyleUrl: null,
      tenant: 'ec2458f2',
      idTokenClaims: null,
      fhirUser: 'Practitioner/12742069',
    },
    'seed',
  );
  return id;
}

/** The page's body with its request id taken out, so two answers can be compared. */
const withoutRequestId = (response: LightMyRequestResponse) =>
  response.body.replaceAll(String(response.headers['x-request-id']), '<request id>');

function assertNoToken(response: LightMyRequestResponse) {
  assert.doesNotMatch(response.body, new RegExp(`${ACCESS_TOKEN}|${REFRESH_TOKEN}`));
}

describe('/launch-debug in production, by default', () => {
  let app: FastifyInstance;
  let launchId: string;
  before(async () => {
    const gateway = await inProcessGateway(PRODUCTION);
    app = gateway.app;
    launchId = await seedLaunch(app, gateway.orgId);
  });
  after(() => app.close());

  it('is off, and answers 404 exactly like an unknown path', async () => {
    const page = await app.inject({ method: 'GET', url: `/launch-debug?mb_launch=${launchId}` });
    const unknown = await app.inject({ method: 'GET', url: '/launch-debug/no-such-page' });
    assert.equal(page.statusCode, 404);
    assert.equal(page.headers['content-type'], unknown.headers['content-type']);
    assert.equal(withoutRequestId(page), withoutRequestId(unknown));
    assert.match(page.body, /route_not_found/);
    assert.doesNotMatch(page.body, /12724066/);

    const consolePath = await app.inject({ method: 'GET', url: `/admin/launch-debug?mb_launch=${launchId}` });
    const unknownConsolePath = await app.inject({ method: 'GET', url: '/admin/no-such-page' });
    assert.equal(consolePath.statusCode, unknownConsolePath.statusCode);
    assert.equal(withoutRequestId(consolePath), withoutRequestId(unknownConsolePath));
  });
});

describe('/launch-debug in production, turned on', () => {
  let app: FastifyInstance;
  let launchId: string;
  let ownOperator: string;
  let otherOperator: string;

  before(async () => {
    const gateway = await inProcessGateway({ ...PRODUCTION, CHARTSIDE_LAUNCH_DEBUG: 'on' });
    app = gateway.app;
    launchId = await seedLaunch(app, gateway.orgId);
    const other = await createOrganization(app.services.db, { name: 'Other Clinic' });
    await seedLaunch(app, other.id);
    ownOperator = (
      await createOperator(app.services.db, {
        orgId: gateway.orgId,
        email: 'own@clinic.example',
        password: PASSWORD,
      })
    ).email;
    otherOperator = (
      await createOperator(app.services.db, {
        orgId: other.id,
        email: 'other@clinic.example',
        password: PASSWORD,
      })
    ).email;
  });
  after(() => app.close());

  /** A GET as a browser sends it: the console cookie only under its path, /admin. */
  const browserGet = (client: ConsoleClient | null, url: string) =>
    url.startsWith('/admin') && client ? client.get(url) : app.inject({ method: 'GET', url });

  it('sends /launch-debug on to the console path, where the session cookie is sent', async () => {
    const response = await browserGet(null, `/launch-debug?mb_launch=${launchId}`);
    assert.equal(response.statusCode, 303);
    assert.equal(response.headers.location, `/admin/launch-debug?mb_launch=${launchId}`);
    assert.doesNotMatch(response.body, /12724066/);
  });

  it('refuses a request without a session: on to sign-in, which comes back here', async () => {
    const response = await browserGet(null, `/admin/launch-debug?mb_launch=${launchId}`);
    assert.equal(response.statusCode, 303);
    assert.equal(
      response.headers.location,
      `/admin/sign-in?next=${encodeURIComponent(`/admin/launch-debug?mb_launch=${launchId}`)}`,
    );
    assert.doesNotMatch(response.body, /12724066|Practitioner/);
    const forged = await app.inject({
      method: 'GET',
      url: `/admin/launch-debug?mb_launch=${launchId}`,
      headers: { cookie: `${SESSION_COOKIE}=not-a-session` },
    });
    assert.equal(forged.statusCode, 303);
  });

  it('shows the launch, never a token, to a signed-in user of the launch’s organization', async () => {
    const client = new ConsoleClient(app);
    const next = `/admin/launch-debug?mb_launch=${launchId}`;
    const signIn = await client.signIn(ownOperator, PASSWORD, next);
    assert.equal(signIn.statusCode, 303, signIn.body);
    assert.equal(signIn.headers.location, next);
    const cookie = (signIn.cookies as { name: string; path?: string }[]).find(
      (c) => c.name === SESSION_COOKIE,
    );
    assert.equal(cookie?.path, '/admin', 'the browser sends it to /admin… only');

    const page = await browserGet(client, next);
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /Launch succeeded/);
    assert.match(page.body, /Patient\/12724066/);
    assert.match(page.body, /Encounter\/97953483/);
    assert.match(page.body, /Practitioner\/12742069/);
    assert.match(page.body, /yes \(sealed\)/);
    assert.match(
      page.body,
      /id="environment"[^>]*>PRODUCTION · real patient data/,
      'production looks different',
    );
    assertNoToken(page);
    const row = await app.services.db
      .selectFrom('ehr_launch')
      .select(['access_token', 'refresh_token'])
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    assert.ok(!page.body.includes(row.access_token as string), 'not even sealed');
    assert.ok(!page.body.includes(row.refresh_token as string));

    // /launch-debug itself still only redirects: a browser sends no cookie there.
    const direct = await browserGet(client, `/launch-debug?mb_launch=${launchId}`);
    assert.equal(direct.statusCode, 303);
  });

  it('answers another organization’s launch exactly like one that does not exist', async () => {
    const client = new ConsoleClient(app);
    assert.equal((await client.signIn(otherOperator)).statusCode, 303);
    const foreign = await browserGet(client, `/admin/launch-debug?mb_launch=${launchId}`);
    const missing = await browserGet(
      client,
      '/admin/launch-debug?mb_launch=0b7c4a52-55a6-4a4e-9a3b-2f1e0c9d8e7f',
    );
    assert.equal(foreign.statusCode, 404);
    assert.equal(withoutRequestId(foreign), withoutRequestId(missing));
    assert.match(foreign.body, /No launch with this id/);
    assert.doesNotMatch(foreign.body, /12724066/);
    assertNoToken(foreign);
  });
});

describe('/launch-debug in development (the default App launch URL of the dev seed)', () => {
  let app: FastifyInstance;
  let launchId: string;
  before(async () => {
    const gateway = await inProcessGateway({ CHARTSIDE_ENV: 'development' });
    app = gateway.app;
    launchId = await seedLaunch(app, gateway.orgId);
  });
  after(() => app.close());

  it('shows the launch context to whoever holds the handle, without a token', async () => {
    const page = await app.inject({ method: 'GET', url: `/launch-debug?mb_launch=${launchId}` });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /Launch succeeded/);
    assert.match(page.body, /Patient\/12724066/);
    assertNoToken(page);
  });

  it('says which launch is missing: no handle, or no launch with this id (well-formed or not)', async () => {
    const none = await app.inject({ method: 'GET', url: '/launch-debug' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Open this page with \?mb_launch=/);
    for (const id of [
      '0b7c4a52-55a6-4a4e-9a3b-2f1e0c9d8e7f',
      '00000000-0000-0000-0000-000000000000',
      launchId.toUpperCase(),
      'not-a-launch',
    ]) {
      const unknown = await app.inject({ method: 'GET', url: `/launch-debug?mb_launch=${id}` });
      assert.equal(unknown.statusCode, 404, id);
      assert.match(unknown.body, /No launch with this id/, id);
      assert.doesNotMatch(unknown.body, /Open this page/, id);
    }
  });
});
