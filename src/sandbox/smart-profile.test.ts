import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import {
  authorizeCode,
  discovered,
  launchApp,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  SMART_CLIENT_ID,
  SMART_SECRET,
  smartApp,
  startProfileSandbox,
} from './profile-test-support.ts';
import { basicAuth, get, pkcePair, postForm, redirectParams, sandboxForSuite } from './test-support.ts';

const WILMA = '12724065';
const NANCY = '12724066';

describe('SMART profile: discovery', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);

  it('publishes a SMART App Launch 2 smart-configuration', async () => {
    const base = sandbox.smart.fhirBaseUrl;
    assert.equal(base, `${sandbox.origin}/smart-ehr/fhir`);
    const config = await discovered(base);
    const auth = `${sandbox.origin}/smart-ehr/auth`;
    assert.deepEqual(
      {
        issuer: config.issuer,
        jwks_uri: config.jwks_uri,
        authorization_endpoint: config.authorization_endpoint,
        token_endpoint: config.token_endpoint,
        revocation_endpoint: config.revocation_endpoint,
        introspection_endpoint: config.introspection_endpoint,
      },
      {
        issuer: auth,
        jwks_uri: `${auth}/jwks`,
        authorization_endpoint: `${auth}/authorize`,
        token_endpoint: `${auth}/token`,
        revocation_endpoint: `${auth}/revoke`,
        introspection_endpoint: `${auth}/introspect`,
      },
    );
    assert.deepEqual(config.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(config.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'private_key_jwt',
    ]);
    assert.deepEqual(config.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    const capabilities = config.capabilities as string[];
    for (const capability of [
      'launch-ehr',
      'launch-standalone',
      'client-confidential-asymmetric',
      'context-standalone-patient',
      'permission-v2',
      'permission-offline',
      'context-style',
    ]) {
      assert.ok(capabilities.includes(capability), capability);
    }
    assert.ok(!capabilities.includes('permission-v1'), 'v2 scopes only');
    const openid = (await (await fetch(`${auth}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
    };
    assert.equal(openid.issuer, auth);
    const metadata = await get(`${base}/metadata`, { accept: 'application/fhir+json' });
    assert.equal(metadata.status, 200);
    assert.equal((await get(`${base}/metadata`, { accept: 'text/html' })).status, 406);
  });
});

describe('SMART profile: EHR launch, scopes and the token response', () => {
  const sandbox = sandboxForSuite(() =>
    startProfileSandbox({
      smartApps: [
        smartApp({
          scopes: [
            'user/Patient.rs',
            'patient/Observation.rs',
            'patient/Condition.rs?category=problem-list-item',
            'user/*.r',
          ],
        }),
      ],
    }),
  );
  let authorizeUrl: string;
  let tokenUrl: string;
  let base: string;

  before(async () => {
    base = sandbox.smart.fhirBaseUrl;
    const config = await discovered(base);
    authorizeUrl = String(config.authorization_endpoint);
    tokenUrl = String(config.token_endpoint);
  });

  async function launchAndExchange(scope: string, launchBody: Record<string, unknown> = {}) {
    const launch = await launchApp(sandbox, SMART_CLIENT_ID, launchBody);
    const { code, verifier } = await authorizeCode(authorizeUrl, {
      client_id: SMART_CLIENT_ID,
      scope,
      aud: base,
      launch: launch.launch,
    });
    const response = await postForm(tokenUrl, profileCodeForm(code, verifier), {
      authorization: basicAuth(SMART_CLIENT_ID, SMART_SECRET),
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('answers fhirContext, intent, need_patient_banner false, smart_style_url, tenant and an id_token', async () => {
    const fhirContext = [
      { reference: 'Observation/VS-197292820' },
      { reference: 'Patient/12724066', role: 'https://example.org/role/sibling' },
      { identifier: { system: 'urn:example:orders', value: 'ORD-42' }, type: 'ServiceRequest' },
    ];
    const body = await launchAndExchange('launch openid fhirUser profile user/Patient.rs offline_access', {
      intent: 'reconcile-medications',
      fhir_context: fhirContext,
    });
    assert.equal(body.scope, 'launch openid fhirUser profile user/Patient.rs offline_access');
    assert.equal(body.patient, WILMA);
    assert.equal(body.encounter, '97953483');
    assert.deepEqual(body.fhirContext, fhirContext);
    assert.equal(body.intent, 'reconcile-medications');
    assert.equal(body.need_patient_banner, false);
    assert.equal(body.tenant, 'chartside-smart-sandbox');
    assert.equal(body.expires_in, 3600);
    assert.equal(typeof body.refresh_token, 'string');
    const style = await get(String(body.smart_style_url));
    assert.equal(style.status, 200);
    const styleBody = (await style.json()) as Record<string, string>;
    for (const field of ['color_background', 'color_highlight', 'font_family_body', 'dim_border_radius']) {
      assert.equal(typeof styleBody[field], 'string', field);
    }
    const { payload } = await jwtVerify(
      String(body.id_token),
      createRemoteJWKSet(new URL(`${sandbox.origin}/smart-ehr/auth/jwks`)),
      {
        issuer: `${sandbox.origin}/smart-ehr/auth`,
        audience: SMART_CLIENT_ID,
      },
    );
    assert.equal(payload.fhirUser, `${base}/Practitioner/12742069`);
    assert.equal(payload.name, 'Portal Portal');
    assert.equal(payload.sub, '12742069');
  });

  it('grants v2 scopes as registered: wildcards, narrowing, granular filters; drops v1 and unregistered ones', async () => {
    const body = await launchAndExchange(
      [
        'launch',
        'patient/Observation.rs?category=vital-signs',
        'user/Patient.cruds',
        'user/Encounter.r',
        'user/Practitioner.read',
        'patient/Condition.rs',
        'patient/Condition.rs?category=encounter-diagnosis',
        'patient/MedicationRequest.rs',
        'system/Patient.rs',
      ].join(' '),
    );
    // A filter under an unfiltered registration; Patient narrowed to rs; Encounter through user/*.r;
    // Condition only with its registered filter; v1, unregistered and system/ scopes dropped.
    assert.equal(
      body.scope,
      'launch patient/Observation.rs?category=vital-signs user/Patient.rs user/Encounter.r',
    );
    const auth = { authorization: `Bearer ${body.access_token}` };
    const vitals = await get(`${base}/Observation?patient=${WILMA}&category=vital-signs`, auth);
    assert.equal(vitals.status, 200);
    assert.ok(((await vitals.json()) as { entry?: unknown[] }).entry?.length);
    assert.equal((await get(`${base}/Encounter/97953483`, auth)).status, 200);
    assert.equal(
      (await get(`${base}/Encounter?patient=${WILMA}`, auth)).status,
      403,
      'r without s: no search',
    );
    assert.equal(
      (await get(`${base}/Observation?patient=${NANCY}`, auth)).status,
      403,
      'patient/ scopes: own patient only',
    );
    assert.equal((await get(`${base}/MedicationRequest?patient=${WILMA}`, auth)).status, 403);
  });

  it('shows granular scopes only the resources their filter selects', async () => {
    const body = await launchAndExchange('launch patient/Observation.rs?category=laboratory');
    assert.equal(body.scope, 'launch patient/Observation.rs?category=laboratory');
    const auth = { authorization: `Bearer ${body.access_token}` };
    const search = await get(`${base}/Observation?patient=${WILMA}`, auth);
    assert.equal(search.status, 200);
    assert.equal(((await search.json()) as { entry?: unknown[] }).entry, undefined, 'no laboratory results');
    assert.equal(
      (await get(`${base}/Observation/VS-197292820`, auth)).status,
      403,
      'a vital sign is not visible',
    );
    const vitals = await launchAndExchange('launch patient/Observation.rs?category=vital-signs');
    const read = await get(`${base}/Observation/VS-197292820`, {
      authorization: `Bearer ${vitals.access_token}`,
    });
    assert.equal(read.status, 200);
  });

  it('answers invalid_scope when nothing asked for can be granted', async () => {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: SMART_CLIENT_ID,
      redirect_uri: PROFILE_REDIRECT_URI,
      scope: 'user/Patient.read system/Patient.rs user/Condition.s',
      aud: base,
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    // No launch scope and no launch: a standalone request, answered once the user is signed in.
    const session = await fetch(`${sandbox.origin}/_test/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const { session_cookie } = (await session.json()) as { session_cookie: string };
    const found = redirectParams(
      await get(`${authorizeUrl}?${query.toString()}`, { cookie: session_cookie }),
    );
    assert.equal(found.get('error'), 'invalid_scope');
  });

  it('refuses a request without aud, without PKCE, or with a launch but no launch scope', async () => {
    const launch = await launchApp(sandbox, SMART_CLIENT_ID);
    const { challenge } = pkcePair();
    const complete = {
      response_type: 'code',
      client_id: SMART_CLIENT_ID,
      redirect_uri: PROFILE_REDIRECT_URI,
      scope: 'launch user/Patient.rs',
      state: 'st',
      aud: base,
      launch: launch.launch,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    };
    const cases: [Partial<Record<keyof typeof complete, string | undefined>>, string, RegExp][] = [
      [{ aud: undefined }, 'invalid_request', /aud is required/],
      [
        { code_challenge: undefined, code_challenge_method: undefined },
        'invalid_request',
        /PKCE is required/,
      ],
      [{ code_challenge_method: 'plain' }, 'invalid_request', /S256/],
      [{ scope: 'user/Patient.rs' }, 'invalid_scope', /launch/],
      [{ response_type: 'token' }, 'unsupported_response_type', /code/],
    ];
    for (const [change, error, description] of cases) {
      const params = Object.fromEntries(
        Object.entries({ ...complete, ...change }).filter(
          (entry): entry is [string, string] => entry[1] !== undefined,
        ),
      );
      const found = redirectParams(await get(`${authorizeUrl}?${new URLSearchParams(params).toString()}`));
      assert.equal(found.get('error'), error, JSON.stringify(change));
      assert.match(found.get('error_description') ?? '', description);
      assert.equal(found.get('state'), 'st');
    }
    // None of the refusals used the launch.
    const { code } = await authorizeCode(authorizeUrl, {
      client_id: SMART_CLIENT_ID,
      scope: 'launch user/Patient.rs',
      aud: base,
      launch: launch.launch,
    });
    assert.ok(code);
  });

  it('takes the authorize request as a form POST (authorize-post)', async () => {
    const launch = await launchApp(sandbox, SMART_CLIENT_ID);
    const { challenge } = pkcePair();
    const response = await postForm(authorizeUrl, {
      response_type: 'code',
      client_id: SMART_CLIENT_ID,
      redirect_uri: PROFILE_REDIRECT_URI,
      scope: 'launch user/Patient.rs',
      state: 'posted',
      aud: base,
      launch: launch.launch,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    assert.equal(response.status, 302);
    assert.equal(redirectParams(response).get('state'), 'posted');
    assert.ok(redirectParams(response).get('code'));
  });
});
