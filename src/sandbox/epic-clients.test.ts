import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authorizeCode,
  discovered,
  EPIC_NONPROD_CLIENT_ID,
  EPIC_NONPROD_SECRET,
  EPIC_PROD_CLIENT_ID,
  EPIC_PROD_SECRET,
  epicApp,
  launchApp,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  startProfileSandbox,
} from './profile-test-support.ts';
import { basicAuth, get, postForm, redirectParams, sandboxForSuite } from './test-support.ts';

const WILMA = '12724065';
const EHR_SCOPES = 'launch openid fhirUser user/Patient.read offline_access';

describe('Epic profile: non-production and production client ids', () => {
  const sandbox = sandboxForSuite(() =>
    startProfileSandbox({
      epicApps: [epicApp({ production: { clientId: EPIC_PROD_CLIENT_ID, secret: EPIC_PROD_SECRET } })],
    }),
  );

  it('launches each client id at its own system, and a token is good only there', async () => {
    const prodBase = sandbox.epic.production.fhirBaseUrl;
    const launch = await launchApp(sandbox, EPIC_PROD_CLIENT_ID);
    assert.equal(launch.iss, prodBase);
    const prod = await discovered(prodBase);
    const { code, verifier } = await authorizeCode(String(prod.authorization_endpoint), {
      client_id: EPIC_PROD_CLIENT_ID,
      scope: EHR_SCOPES,
      aud: prodBase,
      launch: launch.launch,
    });
    const form = profileCodeForm(code, verifier);
    // The non-production secret does not open production.
    const wrongSecret = await postForm(String(prod.token_endpoint), form, {
      authorization: basicAuth(EPIC_PROD_CLIENT_ID, EPIC_NONPROD_SECRET),
    });
    assert.equal(wrongSecret.status, 401);
    const response = await postForm(String(prod.token_endpoint), form, {
      authorization: basicAuth(EPIC_PROD_CLIENT_ID, EPIC_PROD_SECRET),
    });
    const body = (await response.json()) as { access_token: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    const auth = { authorization: `Bearer ${body.access_token}` };
    assert.equal((await get(`${prodBase}/Patient/${WILMA}`, auth)).status, 200);
    assert.equal((await get(`${sandbox.epic.nonProduction.fhirBaseUrl}/Patient/${WILMA}`, auth)).status, 401);
  });

  it('refuses the non-production client id at production', async () => {
    const prod = await discovered(sandbox.epic.production.fhirBaseUrl);
    const response = await postForm(
      String(prod.token_endpoint),
      { grant_type: 'authorization_code', code: 'x', redirect_uri: PROFILE_REDIRECT_URI },
      { authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET) },
    );
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: 'invalid_client', error_description: 'unknown client' });
  });
});

describe('Epic profile: a public client', () => {
  const sandbox = sandboxForSuite(() =>
    startProfileSandbox({
      epicApps: [
        epicApp({
          nonProduction: { clientId: 'epic-public-np' },
          production: { clientId: 'epic-public-prod' },
        }),
      ],
    }),
  );

  it('must send PKCE, names itself at the token endpoint, and gets no refresh token by default', async () => {
    const base = sandbox.epic.nonProduction.fhirBaseUrl;
    const config = await discovered(base);
    const launch = await launchApp(sandbox, 'epic-public-np');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'epic-public-np',
      redirect_uri: PROFILE_REDIRECT_URI,
      scope: EHR_SCOPES,
      state: 'p',
      launch: launch.launch,
    });
    const refused = redirectParams(await get(`${String(config.authorization_endpoint)}?${query.toString()}`));
    assert.equal(refused.get('error'), 'invalid_request');
    assert.match(refused.get('error_description') ?? '', /PKCE is required/);
    const { code, verifier } = await authorizeCode(String(config.authorization_endpoint), {
      client_id: 'epic-public-np',
      scope: EHR_SCOPES,
      launch: launch.launch,
    });
    const response = await postForm(
      String(config.token_endpoint),
      profileCodeForm(code, verifier, { client_id: 'epic-public-np' }),
    );
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.refresh_token, undefined);
  });
});
