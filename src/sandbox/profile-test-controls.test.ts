import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { validateSandboxOptions } from './config.ts';
import {
  authorizeCode,
  discovered,
  EPIC_NONPROD_CLIENT_ID,
  EPIC_NONPROD_SECRET,
  EPIC_PROD_CLIENT_ID,
  epicApp,
  launchApp,
  PROFILE_LAUNCH_URI,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  SMART_CLIENT_ID,
  smartApp,
  startProfileSandbox,
} from './profile-test-support.ts';
import {
  basicAuth,
  CLIENT_ID,
  get,
  postForm,
  providerApp,
  redirectParams,
  sandboxForSuite,
  testLaunch,
} from './test-support.ts';

async function postJson(url: string, body: unknown, method = 'POST') {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('test controls with the Epic and SMART profiles', () => {
  const sandbox = sandboxForSuite(() =>
    startProfileSandbox({
      apps: [providerApp()],
      smartApps: [smartApp(), smartApp({ clientId: 'standalone-only', launchUri: undefined })],
    }),
  );

  it('POST /_test/launch refuses what a profile launch cannot carry, with a clear message', async () => {
    const url = `${sandbox.origin}/_test/launch`;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ client_id: EPIC_NONPROD_CLIENT_ID, intent: 'x' }, /has no field "intent"/],
      [{ client_id: SMART_CLIENT_ID, login_department: 'x' }, /has no field "login_department"/],
      [
        { client_id: SMART_CLIENT_ID, fhir_context: [{ type: 'Observation' }] },
        /needs reference, canonical or identifier/,
      ],
      [
        { client_id: SMART_CLIENT_ID, fhir_context: [{ reference: 'Observation/1', extra: 1 }] },
        /reference, canonical, identifier, type and role only/,
      ],
      [{ client_id: SMART_CLIENT_ID, fhir_context: 'Observation/1' }, /must be an array/],
      [
        { client_id: SMART_CLIENT_ID, fhir_context: [{ identifier: [] }] },
        /identifier must be an object with a value/,
      ],
      [{ client_id: SMART_CLIENT_ID, intent: 'x'.repeat(201) }, /at most 200/],
      [{ client_id: SMART_CLIENT_ID, need_patient_banner: 'no' }, /must be a boolean/],
      [{ client_id: SMART_CLIENT_ID, patient: 'nobody' }, /does not exist/],
      [{ client_id: SMART_CLIENT_ID, username: 'nobody' }, /sandbox user/],
      [{ client_id: 'standalone-only', patient: '12724065' }, /only be launched standalone/],
      [{ client_id: 'nobody' }, /registered app/],
    ];
    for (const [body, message] of cases) {
      const answer = await postJson(url, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'invalid_request');
      assert.match(String(answer.body.message), message, JSON.stringify(body));
    }
    // Cerner's launches are as they were.
    const cerner = await testLaunch(sandbox);
    assert.equal(cerner.iss, sandbox.fhirBaseUrl);
  });

  it('GET /_test/requests?profile= shows one profile’s requests and counts; each entry names its profile', async () => {
    await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' });
    await get(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`);
    const epic = await discovered(sandbox.epic.nonProduction.fhirBaseUrl);
    await discovered(sandbox.smart.fhirBaseUrl);
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
    const { code, verifier } = await authorizeCode(String(epic.authorization_endpoint), {
      client_id: EPIC_NONPROD_CLIENT_ID,
      scope: 'launch',
      launch: launch.launch,
    });
    const form = profileCodeForm(code, verifier);
    await postForm(String(epic.token_endpoint), form, {
      authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET),
    });

    const onlyEpic = (await (await get(`${sandbox.origin}/_test/requests?profile=epic`)).json()) as {
      requests: {
        endpoint: string;
        profile: string;
        path: string;
        form: Record<string, string> | null;
        query: Record<string, string>;
      }[];
      counts: Record<string, number>;
    };
    assert.deepEqual(
      onlyEpic.requests.map((request) => `${request.profile} ${request.endpoint}`),
      ['epic smart-configuration', 'epic authorize', 'epic token'],
    );
    assert.equal(onlyEpic.requests[1]?.path, '/epic/nonprod/oauth2/authorize');
    assert.equal(onlyEpic.requests[1]?.query.launch, launch.launch);
    assert.deepEqual(onlyEpic.requests[2]?.form, form);
    assert.deepEqual(onlyEpic.counts, {
      'smart-configuration': 1,
      authorize: 1,
      token: 1,
      authorization_code: 1,
    });
    const all = (await (await get(`${sandbox.origin}/_test/requests`)).json()) as {
      counts: Record<string, number>;
    };
    assert.equal(all.counts['smart-configuration'], 3, 'Cerner, Epic and SMART added up');
    const cerner = (await (await get(`${sandbox.origin}/_test/requests?profile=cerner`)).json()) as {
      requests: { profile: string }[];
    };
    assert.deepEqual(
      cerner.requests.map((request) => request.profile),
      ['cerner'],
    );
    assert.equal((await get(`${sandbox.origin}/_test/requests?profile=athena`)).status, 400);
  });

  it('faults reach the profiles: token http_500, authorize deny, smart_configuration not_found, id_token unknown_kid', async () => {
    const faults = `${sandbox.origin}/_test/faults`;
    const smart = await discovered(sandbox.smart.fhirBaseUrl);
    try {
      assert.equal((await postJson(faults, { token: 'http_500' }, 'PUT')).status, 200);
      const failed = await postForm(String(smart.token_endpoint), {
        grant_type: 'refresh_token',
        refresh_token: 'x',
      });
      assert.equal(failed.status, 500);
      assert.deepEqual(await failed.json(), {
        error: 'server_error',
        error_description: 'the token "http_500" fault is on',
      });

      await postJson(faults, { token: null, authorize: 'deny', smart_configuration: 'not_found' }, 'PUT');
      assert.equal((await get(`${sandbox.smart.fhirBaseUrl}/.well-known/smart-configuration`)).status, 404);
      const launch = await launchApp(sandbox, SMART_CLIENT_ID);
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: SMART_CLIENT_ID,
        redirect_uri: PROFILE_REDIRECT_URI,
        scope: 'launch',
        aud: sandbox.smart.fhirBaseUrl,
        launch: launch.launch,
        code_challenge: 'a'.repeat(43),
        code_challenge_method: 'S256',
      });
      const denied = redirectParams(await get(`${String(smart.authorization_endpoint)}?${query.toString()}`));
      assert.equal(denied.get('error'), 'access_denied');

      await postJson(faults, { authorize: null, smart_configuration: null, id_token: 'unknown_kid' }, 'PUT');
      const epicLaunch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
      const epic = await discovered(sandbox.epic.nonProduction.fhirBaseUrl);
      const { code, verifier } = await authorizeCode(String(epic.authorization_endpoint), {
        client_id: EPIC_NONPROD_CLIENT_ID,
        scope: 'launch openid',
        launch: epicLaunch.launch,
      });
      const tokens = (await (
        await postForm(String(epic.token_endpoint), profileCodeForm(code, verifier), {
          authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET),
        })
      ).json()) as { id_token: string };
      const jwks = (await (
        await get(`${sandbox.origin}/epic/nonprod/api/epic/2019/Security/Open/PublicKeys/530005/OIDC`)
      ).json()) as { keys: { kid: string }[] };
      const kid = decodeProtectedHeader(tokens.id_token).kid;
      assert.ok(kid);
      assert.ok(!jwks.keys.some((key) => key.kid === kid), 'signed with a key the JWKS does not publish');
    } finally {
      await fetch(faults, { method: 'DELETE' });
    }
  });

  it('PUT /_test/settings sets the profiles’ access-token lifetime too', async () => {
    try {
      await postJson(`${sandbox.origin}/_test/settings`, { access_token_lifetime_seconds: 120 }, 'PUT');
      const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
      const epic = await discovered(sandbox.epic.nonProduction.fhirBaseUrl);
      const { code, verifier } = await authorizeCode(String(epic.authorization_endpoint), {
        client_id: EPIC_NONPROD_CLIENT_ID,
        scope: 'launch',
        launch: launch.launch,
      });
      const response = await postForm(String(epic.token_endpoint), profileCodeForm(code, verifier), {
        authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET),
      });
      assert.equal(((await response.json()) as { expires_in: number }).expires_in, 120);
    } finally {
      await postJson(`${sandbox.origin}/_test/settings`, { access_token_lifetime_seconds: 600 }, 'PUT');
    }
  });

  it('POST /_test/sessions validates its input', async () => {
    assert.equal((await postJson(`${sandbox.origin}/_test/sessions`, { username: 'nobody' })).status, 400);
    assert.equal((await postJson(`${sandbox.origin}/_test/sessions`, { patient: 'nobody' })).status, 400);
    const made = await postJson(`${sandbox.origin}/_test/sessions`, {
      username: 'portal',
      patient: '12724066',
    });
    assert.equal(made.status, 200);
    assert.match(String(made.body.session_cookie), /^sandbox_session=[0-9a-f-]{36}$/);
  });
});

describe('the browser launcher of a profile', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);

  it('lists the apps and patients, and launches the chosen app with iss and launch', async () => {
    const page = await get(sandbox.smart.launcherUrl);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`value="${SMART_CLIENT_ID}"`));
    assert.match(html, /value="12724065"/);
    const launched = await postForm(sandbox.smart.launcherUrl, {
      client_id: SMART_CLIENT_ID,
      patient: '12724066',
      intent: 'review',
    });
    assert.equal(launched.status, 303);
    const location = new URL(launched.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, PROFILE_LAUNCH_URI);
    assert.equal(location.searchParams.get('iss'), sandbox.smart.fhirBaseUrl);
    assert.ok(location.searchParams.get('launch'));
    const bad = await postForm(sandbox.epic.production.launcherUrl, {
      client_id: EPIC_PROD_CLIENT_ID,
      patient: '<i>x</i>',
    });
    assert.equal(bad.status, 400);
    assert.doesNotMatch(await bad.text(), /<i>x<\/i>/);
  });
});

describe('profile registrations in the options', () => {
  it('names the field at fault', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { apps: [], epicApps: [epicApp({ redirectUris: ['https://a.example/cb#x'] })] },
        /epicApps\[0\]: "redirectUris"/,
      ],
      [
        { apps: [], epicApps: [epicApp({ production: { clientId: EPIC_NONPROD_CLIENT_ID } })] },
        /"production" needs a client id of its own/,
      ],
      [
        { apps: [], epicApps: [{ ...epicApp(), nonProduction: undefined }] },
        /epicApps\[0\]: nonProduction: must be an object/,
      ],
      [
        { apps: [], smartApps: [smartApp({ jwksUrl: 'ftp://x' })] },
        /smartApps\[0\]: "jwksUrl" must be an http\(s\) URL/,
      ],
      [{ apps: [], smartApps: 'x' }, /"smartApps" must be an array/],
      [
        { apps: [providerApp()], smartApps: [smartApp({ clientId: CLIENT_ID })] },
        /use the client id .* twice/,
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => validateSandboxOptions(JSON.parse(JSON.stringify(options))), message);
    }
  });
});
