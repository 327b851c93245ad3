import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  authorizeCode,
  discovered,
  EPIC_NONPROD_CLIENT_ID,
  EPIC_NONPROD_SECRET,
  EPIC_PROD_CLIENT_ID,
  launchApp,
  PROFILE_LAUNCH_URI,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  startProfileSandbox,
} from './profile-test-support.ts';
import { basicAuth, get, postForm, redirectParams, sandboxForSuite } from './test-support.ts';

const WILMA = '12724065';
const WILMA_ENCOUNTER = '97953483';
const EHR_SCOPES = 'launch openid fhirUser user/Patient.read offline_access';

describe('Epic profile: discovery', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);

  it("publishes Epic's smart-configuration under the FHIR base, with Epic's paths", async () => {
    const base = sandbox.epic.nonProduction.fhirBaseUrl;
    assert.equal(base, `${sandbox.origin}/epic/nonprod/api/FHIR/R4`);
    const response = await fetch(`${base}/.well-known/smart-configuration`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const config = (await response.json()) as Record<string, unknown>;
    const oauth2 = `${sandbox.origin}/epic/nonprod/oauth2`;
    assert.equal(config.issuer, oauth2);
    assert.equal(config.authorization_endpoint, `${oauth2}/authorize`);
    assert.equal(config.token_endpoint, `${oauth2}/token`);
    assert.deepEqual(config.token_endpoint_auth_methods_supported, [
      'client_secret_post',
      'client_secret_basic',
      'private_key_jwt',
    ]);
    assert.deepEqual(config.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.deepEqual(config.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(config.scopes_supported, [
      'epic.scanning.dmsusername',
      'fhirUser',
      'launch',
      'openid',
      'profile',
    ]);
    const capabilities = config.capabilities as string[];
    for (const capability of [
      'launch-ehr',
      'launch-standalone',
      'client-confidential-asymmetric',
      'permission-v1',
    ]) {
      assert.ok(capabilities.includes(capability), capability);
    }
    // No revocation or introspection endpoint, no jwks_uri: the id_token's keys come from OpenID discovery.
    for (const absent of [
      'revocation_endpoint',
      'introspection_endpoint',
      'jwks_uri',
      'management_endpoint',
    ]) {
      assert.equal(config[absent], undefined, absent);
    }
  });

  it('has a production system of its own, and serves OpenID discovery, JWKS and /metadata', async () => {
    const production = await discovered(sandbox.epic.production.fhirBaseUrl);
    assert.equal(production.token_endpoint, `${sandbox.origin}/epic/prod/oauth2/token`);
    const openid = (await (
      await fetch(`${sandbox.origin}/epic/nonprod/oauth2/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    assert.equal(openid.issuer, `${sandbox.origin}/epic/nonprod/oauth2`);
    assert.equal(
      openid.jwks_uri,
      `${sandbox.origin}/epic/nonprod/api/epic/2019/Security/Open/PublicKeys/530005/OIDC`,
    );
    const underFhir = await fetch(
      `${sandbox.epic.nonProduction.fhirBaseUrl}/.well-known/openid-configuration`,
    );
    assert.equal(((await underFhir.json()) as { issuer: string }).issuer, openid.issuer);
    const jwks = (await (await fetch(openid.jwks_uri)).json()) as { keys: { kid: string; kty: string }[] };
    assert.equal(jwks.keys.length, 1);
    // Epic's kid is a Base64 (not Base64url) SHA-256 thumbprint.
    assert.match(jwks.keys[0]?.kid ?? '', /^[A-Za-z0-9+/]{43}=$/);
    const metadata = await get(`${sandbox.epic.nonProduction.fhirBaseUrl}/metadata`);
    assert.equal(metadata.status, 200);
    const statement = (await metadata.json()) as {
      software: { name: string };
      rest: { security: unknown }[];
    };
    assert.equal(statement.software.name, 'Epic');
    assert.match(JSON.stringify(statement.rest[0]?.security), /epic\/nonprod\/oauth2\/authorize/);
  });
});

describe('Epic profile: EHR launch, authorize and token', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);
  let authorizeUrl: string;
  let tokenUrl: string;
  let base: string;
  before(async () => {
    base = sandbox.epic.nonProduction.fhirBaseUrl;
    const config = await discovered(base);
    authorizeUrl = String(config.authorization_endpoint);
    tokenUrl = String(config.token_endpoint);
  });

  async function exchange(code: string, verifier: string) {
    const headers = { authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET) };
    const response = await postForm(tokenUrl, profileCodeForm(code, verifier), headers);
    return { response, body: (await response.json()) as Record<string, unknown> };
  }

  it('launches with a long opaque launch value at the app launch URI', async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
    assert.equal(launch.iss, base);
    assert.ok(launch.launch.length >= 100, 'Epic launch values are long');
    assert.match(launch.launch, /^[A-Za-z0-9_-]+$/);
    const url = new URL(launch.launch_url);
    assert.equal(`${url.origin}${url.pathname}`, PROFILE_LAUNCH_URI);
    assert.equal(url.searchParams.get('iss'), base);
    assert.equal(url.searchParams.get('launch'), launch.launch);
  });

  it("answers the code with Epic's token response: registered scopes, extras, opaque token, id_token", async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID, {
      appointment: 'eAPPT123',
      location: 'eLOC456',
    });
    // No session cookie: the launch names the user. Unknown scopes are ignored, not refused.
    const { code, verifier } = await authorizeCode(authorizeUrl, {
      client_id: EPIC_NONPROD_CLIENT_ID,
      scope: `${EHR_SCOPES} launch/patient made/up.scope`,
      aud: base,
      launch: launch.launch,
    });
    assert.ok(code.length >= 100);
    const { response, body } = await exchange(code, verifier);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    // Every registered API, whatever was asked; fhirUser and offline_access honoured but not repeated.
    assert.equal(
      body.scope,
      'user/Encounter.read user/Observation.read user/Patient.read user/Practitioner.read launch launch/patient openid',
    );
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(String(body.access_token).split('.').length, 1, 'not a JWT');
    assert.equal(body.state, 'state-xyz');
    assert.equal(body.patient, WILMA);
    assert.equal(body.encounter, WILMA_ENCOUNTER);
    assert.equal(body.appointment, 'eAPPT123');
    assert.equal(body.location, 'eLOC456');
    assert.match(String(body['__epic.dstu2.patient']), /^T[A-Za-z0-9.-]{42}B$/);
    assert.equal(typeof body.loginDepartment, 'string');
    assert.equal(body.need_patient_banner, 'true', 'a string, as Epic sends it');
    assert.equal(
      body.smart_style_url,
      `${sandbox.origin}/epic/nonprod/api/epic/2016/EDI/HTTP/style/100016/sandbox.json`,
    );
    assert.equal(typeof body.refresh_token, 'string');
    assert.equal(body.tenant, undefined);
    const style = await get(String(body.smart_style_url));
    assert.equal(style.status, 200);
    assert.equal(typeof ((await style.json()) as Record<string, unknown>).color_background, 'string');

    const idToken = String(body.id_token);
    assert.equal(decodeProtectedHeader(idToken).alg, 'RS256');
    const keys = createRemoteJWKSet(
      new URL(`${sandbox.origin}/epic/nonprod/api/epic/2019/Security/Open/PublicKeys/530005/OIDC`),
    );
    const { payload } = await jwtVerify(idToken, keys, {
      issuer: `${sandbox.origin}/epic/nonprod/oauth2`,
      audience: EPIC_NONPROD_CLIENT_ID,
    });
    assert.equal(payload.fhirUser, `${base}/Practitioner/12742069`);
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);
    assert.match(String(payload.sub), /^T/);

    const patient = await get(`${base}/Patient/${WILMA}`, { authorization: `Bearer ${body.access_token}` });
    assert.equal(patient.status, 200);
    assert.equal(((await patient.json()) as { id: string }).id, WILMA);
  });

  it('sends need_patient_banner "false", no encounter, and takes client_secret_post', async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID, {
      need_patient_banner: false,
      encounter: null,
    });
    const { code, verifier } = await authorizeCode(authorizeUrl, {
      client_id: EPIC_NONPROD_CLIENT_ID,
      scope: 'launch',
      launch: launch.launch,
    });
    const form = profileCodeForm(code, verifier);
    const unauthenticated = await postForm(tokenUrl, { ...form, client_id: EPIC_NONPROD_CLIENT_ID });
    assert.equal(unauthenticated.status, 401, 'a confidential client must authenticate');
    assert.equal(((await unauthenticated.json()) as { error: string }).error, 'invalid_client');
    const posted = await postForm(tokenUrl, {
      ...form,
      client_id: EPIC_NONPROD_CLIENT_ID,
      client_secret: EPIC_NONPROD_SECRET,
    });
    const tokens = (await posted.json()) as Record<string, unknown>;
    assert.equal(posted.status, 200, 'the refused attempt did not spend the code');
    assert.equal(tokens.need_patient_banner, 'false');
    assert.equal(tokens.encounter, undefined);
    assert.equal(tokens.id_token, undefined, 'no openid, no id_token');
    assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
  });

  it('takes aud when it is the FHIR base and refuses another, back at the redirect URI', async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: EPIC_NONPROD_CLIENT_ID,
      redirect_uri: PROFILE_REDIRECT_URI,
      scope: EHR_SCOPES,
      state: 's1',
      aud: `${base}/`,
      launch: launch.launch,
    });
    const params = redirectParams(await get(`${authorizeUrl}?${query.toString()}`));
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description') ?? '', /aud must be/);
    assert.equal(params.get('state'), 's1');
    assert.equal(params.get('code'), null);
  });

  it('uses a launch once, and only for its own client', async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
    const params = { client_id: EPIC_NONPROD_CLIENT_ID, scope: EHR_SCOPES, launch: launch.launch };
    await authorizeCode(authorizeUrl, params);
    await assert.rejects(authorizeCode(authorizeUrl, params), /no code/);
    const query = new URLSearchParams({
      response_type: 'code',
      redirect_uri: PROFILE_REDIRECT_URI,
      ...params,
      launch: 'x'.repeat(128),
    });
    assert.equal(
      redirectParams(await get(`${authorizeUrl}?${query.toString()}`)).get('error'),
      'invalid_request',
    );
  });

  it('shows a page, never a redirect, for an unknown client or an unregistered redirect URI', async () => {
    for (const [clientId, redirectUri] of [
      [EPIC_PROD_CLIENT_ID, PROFILE_REDIRECT_URI],
      [EPIC_NONPROD_CLIENT_ID, 'https://evil.example/callback'],
    ] as const) {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: 'launch',
      });
      const response = await get(`${authorizeUrl}?${query.toString()}`);
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/);
      assert.doesNotMatch(await response.text(), /evil\.example/);
    }
  });

  it('refreshes without a new refresh token; the old one keeps working', async () => {
    const launch = await launchApp(sandbox, EPIC_NONPROD_CLIENT_ID);
    const { code, verifier } = await authorizeCode(authorizeUrl, {
      client_id: EPIC_NONPROD_CLIENT_ID,
      scope: EHR_SCOPES,
      launch: launch.launch,
    });
    const { body } = await exchange(code, verifier);
    const refresh = async () => {
      const response = await postForm(
        tokenUrl,
        { grant_type: 'refresh_token', refresh_token: String(body.refresh_token) },
        { authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET) },
      );
      return { response, body: (await response.json()) as Record<string, unknown> };
    };
    for (let i = 0; i < 2; i += 1) {
      const refreshed = await refresh();
      assert.equal(refreshed.response.status, 200);
      assert.deepEqual(Object.keys(refreshed.body).sort(), [
        'access_token',
        'expires_in',
        'scope',
        'token_type',
      ]);
      assert.notEqual(refreshed.body.access_token, body.access_token);
      const read = await get(`${base}/Patient/${WILMA}`, {
        authorization: `Bearer ${refreshed.body.access_token}`,
      });
      assert.equal(read.status, 200);
    }
  });
});
