import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  assertTokenError,
  basicAuth,
  CLIENT_ID,
  codeForm,
  ENCOUNTER_WILMA,
  exchange,
  hostsTokenUrl,
  type IssuedCode,
  issueCode,
  jwtPart,
  PATIENT_WILMA,
  plainTokenUrl,
  providerApp,
  REDIRECT_URI,
  SECRET,
  sandboxForSuite,
  startTestSandbox,
  TOKEN_URN,
} from './test-support.ts';

/** The code's authorization_code form as a client that leaves `field` out sends it. */
function codeFormWithout(
  issued: IssuedCode,
  field: 'code_verifier' | 'redirect_uri',
): Record<string, string> {
  const form: Record<string, string> = codeForm(issued.code, issued.verifier);
  delete form[field];
  return form;
}

/** Beside the guide's provider app (Offline): one with Type of Access Online. */
const ONLINE_APP = providerApp({
  name: 'online app',
  applicationId: 'online-app',
  clientId: 'online-client',
  accessType: 'online',
});

describe('token endpoint with client_secret_basic (S5)', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [providerApp(), ONLINE_APP] }));

  it("exchanges a code for Cerner's exact token response (docs/cerner.md §5)", async () => {
    const { code, verifier } = await issueCode(sandbox);
    const { response, body } = await exchange(sandbox, codeForm(code, verifier));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'encounter',
      'expires_in',
      'id_token',
      'need_patient_banner',
      'patient',
      'refresh_token',
      'scope',
      'smart_style_url',
      'tenant',
      'token_type',
      'user',
      'username',
    ]);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 570);
    assert.equal(
      body.scope,
      'fhirUser launch online_access openid user/Encounter.read user/Observation.read user/Patient.read',
    );
    assert.equal(body.patient, PATIENT_WILMA);
    assert.equal(body.encounter, ENCOUNTER_WILMA);
    assert.equal(body.user, '12742069');
    assert.equal(body.username, 'portal');
    assert.equal(body.tenant, sandbox.tenant);
    assert.equal(body.need_patient_banner, true);
    assert.equal(body.smart_style_url, `${sandbox.origin}/styles/smart-v1.json`);
    assert.match(String(body.refresh_token), /^[0-9a-f-]{36}$/);
  });

  it('signs the access token ES256 with Cerner claims and no aud (docs/cerner.md §5)', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const { body } = await exchange(sandbox, codeForm(code, verifier));
    const token = String(body.access_token);
    const header = jwtPart(token, 0);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'JWT');
    assert.match(String(header.kid), /\.ec\.es256$/);
    const jwks = createLocalJWKSet((await (await fetch(`${sandbox.origin}/jwk`)).json()) as { keys: [] });
    const { payload } = await jwtVerify(token, jwks, { algorithms: ['ES256'] });
    assert.equal(payload.aud, undefined);
    assert.equal(payload.sub, 'portal');
    assert.equal(payload.azp, CLIENT_ID);
    assert.equal(payload.iss, `${sandbox.origin}/`);
    assert.equal((payload.exp as number) - (payload.iat as number), 600);
    assert.match(String(payload.jti), /^[0-9a-f-]{36}$/);
    assert.deepEqual(payload['urn:com:cerner:authorization:claims'], {
      ver: '1.0',
      tnt: sandbox.tenant,
      azs: body.scope,
    });
    const v1 = payload['urn:cerner:authorization:claims:version:1'] as Record<
      string,
      Record<string, unknown>
    >;
    assert.equal(v1.user?.persona, 'provider');
    assert.equal(v1.client?.id, CLIENT_ID);
  });

  it('issues an RS256 id_token verifiable at /jwk with fhirUser (docs/cerner.md §6)', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const { body } = await exchange(sandbox, codeForm(code, verifier));
    const idToken = String(body.id_token);
    assert.match(String(jwtPart(idToken, 0).kid), /^\d{4}-\d{2}-\d{2}T[\d:.]+\.rsa$/);
    const jwks = createLocalJWKSet((await (await fetch(`${sandbox.origin}/jwk`)).json()) as { keys: [] });
    const { payload } = await jwtVerify(idToken, jwks, {
      algorithms: ['RS256'],
      issuer: `${sandbox.origin}/tenants/${sandbox.tenant}/oidc/idsps/${sandbox.tenant}/`,
      audience: CLIENT_ID,
    });
    assert.equal(payload.sub, 'portal');
    assert.equal(payload.name, 'Portal, Portal');
    assert.equal((payload.exp as number) - (payload.iat as number), 600);
    assert.equal(payload.fhirUser, `${sandbox.fhirBaseUrl}/Practitioner/12742069`);
    assert.equal(payload.profile, undefined, 'profile only when the profile scope is granted');
  });

  it('filters scopes: unregistered, wildcard and v2 scopes, and offline_access for an online app (S4.11)', async () => {
    const scope =
      'launch openid profile offline_access user/Patient.read user/Condition.read patient/*.read user/Observation.rs';
    const offline = await issueCode(sandbox, {}, { scope });
    const offlineToken = await exchange(sandbox, codeForm(offline.code, offline.verifier));
    assert.equal(offlineToken.body.scope, 'launch offline_access openid profile user/Patient.read');
    assert.equal(
      jwtPart(String(offlineToken.body.id_token), 1).profile,
      `${sandbox.fhirBaseUrl}/Practitioner/12742069`,
    );

    const online = await issueCode(
      sandbox,
      { client_id: 'online-client' },
      { client_id: 'online-client', scope },
    );
    const onlineToken = await exchange(sandbox, codeForm(online.code, online.verifier), {
      authorization: basicAuth('online-client', SECRET),
    });
    assert.equal(onlineToken.body.scope, 'launch openid profile user/Patient.read');
    assert.equal(onlineToken.body.refresh_token, undefined, 'no online_access or offline_access granted');
  });

  it('omits encounter and passes need_patient_banner=false from the launch', async () => {
    const { code, verifier } = await issueCode(sandbox, { encounter: null, need_patient_banner: false });
    const { body } = await exchange(sandbox, codeForm(code, verifier));
    assert.equal(body.patient, PATIENT_WILMA);
    assert.equal('encounter' in body, false);
    assert.equal(body.need_patient_banner, false);
  });

  it('accepts the plain token URL too, and a raw (not form-encoded) Basic pair', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const raw = `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString('base64')}`;
    const { response } = await exchange(
      sandbox,
      codeForm(code, verifier),
      { authorization: raw },
      plainTokenUrl(sandbox),
    );
    assert.equal(response.status, 200);
  });

  it('accepts client_id in the body when it equals the Basic id', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const { response } = await exchange(sandbox, codeForm(code, verifier, { client_id: CLIENT_ID }));
    assert.equal(response.status, 200);
  });

  it('answers 401 invalid_client for a wrong secret', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const result = await exchange(sandbox, codeForm(code, verifier), {
      authorization: basicAuth(CLIENT_ID, 'wrong'),
    });
    assertTokenError(sandbox, result, 'invalid_client', `${TOKEN_URN}invalid_client_credentials`);
  });

  it('answers 401 invalid-authorization-header with client=unknown for a malformed header', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const result = await exchange(sandbox, codeForm(code, verifier), { authorization: 'Basic !!!' });
    assertTokenError(
      sandbox,
      result,
      'invalid_client',
      `${TOKEN_URN}invalid-authorization-header`,
      'unknown',
    );
  });

  it('rejects client_secret_post and a confidential client without credentials', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const post = await exchange(
      sandbox,
      codeForm(code, verifier, { client_id: CLIENT_ID, client_secret: SECRET }),
      {},
    );
    assert.equal(post.response.status, 401);
    assert.equal(post.body.error, 'invalid_client');
    const none = await exchange(sandbox, codeForm(code, verifier, { client_id: CLIENT_ID }), {});
    assertTokenError(sandbox, none, 'invalid_client', `${TOKEN_URN}invalid_client_credentials`);
  });

  it('accepts a code once only (code-invalid-or-expired)', async () => {
    const { code, verifier } = await issueCode(sandbox);
    assert.equal((await exchange(sandbox, codeForm(code, verifier))).response.status, 200);
    const again = await exchange(sandbox, codeForm(code, verifier));
    assertTokenError(sandbox, again, 'invalid_grant', `${TOKEN_URN}code-invalid-or-expired`);
  });

  it('rejects a code older than 60 s', async () => {
    const { code, verifier } = await issueCode(sandbox);
    await fetch(`${sandbox.origin}/_test/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advance_seconds: 61 }),
    });
    try {
      const result = await exchange(sandbox, codeForm(code, verifier));
      assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}code-invalid-or-expired`);
    } finally {
      await fetch(`${sandbox.origin}/_test/clock`, { method: 'DELETE' });
    }
  });

  it('rejects a wrong or missing PKCE code_verifier', async () => {
    const wrong = await issueCode(sandbox);
    const result = await exchange(sandbox, codeForm(wrong.code, `${wrong.verifier}x`));
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}invalid-code-verifier`);
    const missing = await exchange(sandbox, codeFormWithout(await issueCode(sandbox), 'code_verifier'));
    assertTokenError(sandbox, missing, 'invalid_grant', `${TOKEN_URN}invalid-code-verifier`);
  });

  it('requires redirect_uri at token exactly as sent at authorize (docs/cerner.md §3)', async () => {
    const differs = await issueCode(sandbox);
    const result = await exchange(
      sandbox,
      codeForm(differs.code, differs.verifier, { redirect_uri: `${REDIRECT_URI}/` }),
    );
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}invalid-redirect-uri`);

    const omitted = await exchange(sandbox, codeFormWithout(await issueCode(sandbox), 'redirect_uri'));
    assertTokenError(sandbox, omitted, 'invalid_grant', `${TOKEN_URN}invalid-redirect-uri`);
  });

  it('requires redirect_uri to be omitted at token when it was omitted at authorize', async () => {
    const { code, verifier } = await issueCode(sandbox, {}, { redirect_uri: '' });
    const result = await exchange(sandbox, codeForm(code, verifier));
    assertTokenError(sandbox, result, 'invalid_grant', `${TOKEN_URN}invalid-redirect-uri`);
    const form = codeFormWithout(await issueCode(sandbox, {}, { redirect_uri: '' }), 'redirect_uri');
    assert.equal((await exchange(sandbox, form)).response.status, 200);
  });

  it('answers invalid_request for a body that is not form-encoded', async () => {
    const response = await fetch(hostsTokenUrl(sandbox), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(CLIENT_ID, SECRET) },
      body: JSON.stringify({ grant_type: 'authorization_code', code: 'x' }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assertTokenError(
      sandbox,
      { response, body },
      'invalid_request',
      `${TOKEN_URN}invalid-request`,
      'unknown',
    );
  });

  it('answers unsupported_grant_type for other grants', async () => {
    const result = await exchange(sandbox, {
      grant_type: 'password',
      username: 'portal',
      password: 'portal',
    });
    assertTokenError(sandbox, result, 'unsupported_grant_type', `${TOKEN_URN}unsupported-grant-type`);
  });
});
