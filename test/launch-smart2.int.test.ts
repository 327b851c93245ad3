/**
 * Launching into any SMART App Launch 2 EHR (issue 15), on SQLite and PostgreSQL, against a
 * purpose-built EHR (support/smart-ehr.ts) whose discovery the tests shape: EHR launch and
 * standalone launch, client_secret_basic and private_key_jwt (RS384, ES384), SMART v1 and v2
 * scopes. What goes over the wire is asserted exactly (authorize parameters, the token request),
 * and so is every field of the launch context. Nothing here depends on the stub's paths: the
 * gateway learns them from discovery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { AUTHORIZE_PARAMETERS, launchIdFrom } from './support/launch-driver.ts';
import { defaultConfiguration, STANDALONE_PATIENT, STUB_USER_NAME } from './support/smart-ehr.ts';
import { APP_LAUNCH_URL, driveSmartLaunch, type SmartStack, startSmartStack } from './support/smart-stack.ts';

/** What the stub's token response carries beyond the tokens (SMART 2.2 launch context and extensions). */
const FHIR_CONTEXT = [
  { reference: 'Observation/obs-1' },
  {
    type: 'DiagnosticReport',
    identifier: { system: 'urn:acme:report', value: 'r-9' },
    role: 'https://example.org/role/source',
  },
];
const TOKEN_EXTRAS = {
  need_patient_banner: false,
  smart_style_url: 'https://ehr.example.org/smart-style.json',
  tenant: 'tenant-42',
  intent: 'reconcile-medications',
  fhirContext: FHIR_CONTEXT,
  __acme_unit: 'ward-7',
  'https://acme.example/context': { bed: '12' },
  // Never passed on: named like a credential, or shaped like a JWT.
  acme_session_token: 'opaque-secret',
  acme_handle: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4eHh4eHh4In0.c2lnbmF0dXJlc2lnbmF0dXJl',
};

const SCOPES = {
  v1: 'openid fhirUser launch user/Patient.read user/Observation.read online_access',
  // Wildcards and granular scopes are SMART 2's own (and allowed for vendor smart).
  v2: 'openid fhirUser launch patient/*.rs user/Observation.rs?category=vital-signs online_access',
} as const;

const CLIENT_AUTH = [
  { name: 'client_secret_basic', changes: { authMethod: 'client_secret_basic', signingAlg: 'auto' } },
  { name: 'private_key_jwt RS384', changes: { authMethod: 'private_key_jwt', signingAlg: 'RS384' } },
  { name: 'private_key_jwt ES384', changes: { authMethod: 'private_key_jwt', signingAlg: 'ES384' } },
] as const;

async function readContext(stack: SmartStack, id: string) {
  const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Record<string, unknown>;
}

function lastTokenRequest(stack: SmartStack) {
  const token = stack.ehr.requests.filter((r) => r.method === 'POST' && r.path === '/auth/token').at(-1);
  assert.ok(token, 'a token request');
  return token;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`SMART App Launch 2 EHR (${engine})`, () => {
    let stack: SmartStack;
    before(async () => {
      stack = await startSmartStack(engine, 'smart', { tokenExtras: TOKEN_EXTRAS });
    });
    after(() => stack.close());

    for (const auth of CLIENT_AUTH) {
      for (const syntax of ['v1', 'v2'] as const) {
        for (const mode of ['ehr', 'standalone'] as const) {
          it(`${mode} launch, ${auth.name}, SMART ${syntax} scopes: the wire and the whole launch context`, async () => {
            await stack.connect({ ...auth.changes, scopes: SCOPES[syntax] });
            const launch = stack.ehr.newLaunch({ patient: 'pat-1', encounter: 'enc-1' });
            const { authorizeUrl, callbackUrl, callbackResponse } = await driveSmartLaunch(
              stack,
              mode,
              launch,
            );

            // Authorize: SMART 2.2 §App Launch, exactly these parameters.
            const params = Object.fromEntries(authorizeUrl.searchParams);
            const expectedScope =
              mode === 'ehr'
                ? SCOPES[syntax]
                : SCOPES[syntax].replace(' launch ', ' launch/patient launch/encounter ');
            assert.equal(authorizeUrl.origin + authorizeUrl.pathname, `${stack.ehr.origin}/auth/authorize`);
            assert.deepEqual(
              Object.keys(params).sort(),
              mode === 'ehr' ? AUTHORIZE_PARAMETERS : AUTHORIZE_PARAMETERS.filter((p) => p !== 'launch'),
            );
            assert.equal(params.response_type, 'code');
            assert.equal(params.client_id, stack.clientId);
            assert.equal(params.redirect_uri, `${stack.gatewayUrl}/api/auth/smart/launch-callback`);
            assert.equal(params.scope, expectedScope);
            assert.equal(params.aud, stack.ehr.fhirBase);
            if (mode === 'ehr') assert.equal(params.launch, launch);
            assert.equal(params.code_challenge_method, 'S256');
            assert.match(params.code_challenge as string, /^[A-Za-z0-9_-]{43}$/);

            // Token request: the code, the verifier, the redirect URI, and the client's proof.
            const token = lastTokenRequest(stack);
            assert.equal(token.form.grant_type, 'authorization_code');
            assert.equal(token.form.code, callbackUrl.searchParams.get('code'));
            assert.equal(token.form.redirect_uri, params.redirect_uri);
            assert.match(token.form.code_verifier as string, /^[A-Za-z0-9_-]{43,128}$/);
            if (auth.changes.authMethod === 'client_secret_basic') {
              assert.deepEqual(Object.keys(token.form).sort(), [
                'code',
                'code_verifier',
                'grant_type',
                'redirect_uri',
              ]);
              assert.match(String(token.headers.authorization), /^Basic /);
            } else {
              // client_id as well: RFC 7521 §4.2 allows it beside the assertion, and it equals its iss.
              assert.deepEqual(Object.keys(token.form).sort(), [
                'client_assertion',
                'client_assertion_type',
                'client_id',
                'code',
                'code_verifier',
                'grant_type',
                'redirect_uri',
              ]);
              assert.equal(token.form.client_id, stack.clientId);
              assert.equal(
                token.form.client_assertion_type,
                'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              );
              assert.equal(token.headers.authorization, undefined);
              const header = decodeProtectedHeader(token.form.client_assertion as string);
              const claims = decodeJwt(token.form.client_assertion as string);
              assert.equal(header.alg, auth.changes.signingAlg);
              assert.equal(header.typ, 'JWT');
              assert.equal(header.jku, undefined, 'no jku unless the connection asks for it');
              const jwks = (await (await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`)).json()) as {
                keys: { kid: string; alg: string }[];
              };
              assert.equal(jwks.keys.find((k) => k.kid === header.kid)?.alg, auth.changes.signingAlg);
              assert.equal(claims.iss, stack.clientId);
              assert.equal(claims.sub, stack.clientId);
              assert.equal(claims.aud, stack.ehr.tokenUrl);
              assert.ok((claims.exp as number) - (claims.iat as number) <= 300);
              assert.ok(token.assertion, 'the EHR verified the assertion against our JWKS');
            }

            // The hand-off and the launch context, every field.
            const location = new URL(callbackResponse.headers.get('location') as string);
            assert.equal(location.origin + location.pathname, APP_LAUNCH_URL);
            const id = launchIdFrom(callbackResponse);
            const context = await readContext(stack, id);
            const createdAt = Date.parse(context.created_at as string);
            assert.ok(Math.abs(createdAt - Date.now()) < 60_000);
            assert.deepEqual(context, {
              id,
              resource_type: 'launch_context',
              status: 'ready',
              patient: mode === 'ehr' ? 'Patient/pat-1' : `Patient/${STANDALONE_PATIENT}`,
              encounter: mode === 'ehr' ? 'Encounter/enc-1' : 'Encounter/enc-standalone',
              fhir_user: 'Practitioner/prac-1',
              user_name: STUB_USER_NAME,
              scope: expectedScope,
              need_patient_banner: false,
              smart_style_url: 'https://ehr.example.org/smart-style.json',
              tenant: 'tenant-42',
              intent: 'reconcile-medications',
              fhir_context: FHIR_CONTEXT,
              extra_context: { __acme_unit: 'ward-7', 'https://acme.example/context': { bed: '12' } },
              fhir_source: stack.sourceId,
              fhir_base_url: stack.ehr.fhirBase,
              vendor: 'smart',
              environment: 'sandbox',
              created_at: context.created_at,
              // A refresh token was granted: the launch's maximum age (12 h by default) bounds it.
              expires_at: new Date(createdAt + 12 * 3_600_000).toISOString(),
            });
            const serialized = JSON.stringify(context);
            assert.ok(!serialized.includes('opaque-secret') && !serialized.includes('eyJhbGciOiJSUzI1NiJ9'));
          });
        }
      }
    }

    it('follows the EHR’s advertised algorithm when the connection leaves it automatic (ES384 only)', async () => {
      stack.ehr.configure({ configuration: { token_endpoint_auth_signing_alg_values_supported: ['ES384'] } });
      await stack.rediscover();
      try {
        await stack.connect({ authMethod: 'private_key_jwt', signingAlg: 'auto', scopes: SCOPES.v1 });
        launchIdFrom((await driveSmartLaunch(stack, 'ehr')).callbackResponse);
        assert.equal(
          decodeProtectedHeader(lastTokenRequest(stack).form.client_assertion as string).alg,
          'ES384',
        );
      } finally {
        stack.ehr.configure({ configuration: {} });
        await stack.rediscover();
      }
    });

    it('the development launch-debug page shows the whole context, never a token', async () => {
      await stack.connect({ authMethod: 'client_secret_basic', signingAlg: 'auto', scopes: SCOPES.v2 });
      const id = launchIdFrom((await driveSmartLaunch(stack, 'ehr')).callbackResponse);
      const page = await (await fetch(`${stack.gatewayUrl}/launch-debug?mb_launch=${id}`)).text();
      for (const shown of [
        '<dt>Vendor</dt><dd>smart</dd>',
        '<dt>Intent</dt><dd>reconcile-medications</dd>',
        'Observation/obs-1',
        '__acme_unit',
      ]) {
        assert.ok(page.includes(shown), shown);
      }
      assert.ok(!page.includes('opaque-secret') && !page.includes(stack.ehr.accessTokens.at(-1) as string));
    });

    it('names our JWKS URL in the assertion’s jku header when the connection asks for it', async () => {
      await stack.connect({
        authMethod: 'private_key_jwt',
        signingAlg: 'RS384',
        assertionJku: true,
        scopes: SCOPES.v1,
      });
      try {
        launchIdFrom((await driveSmartLaunch(stack, 'ehr')).callbackResponse);
        const header = decodeProtectedHeader(lastTokenRequest(stack).form.client_assertion as string);
        assert.equal(header.jku, `${stack.gatewayUrl}/api/auth/.well-known/jwks`);
        assert.ok(lastTokenRequest(stack).assertion, 'the EHR accepted it (jku = the registered JWKS URL)');
      } finally {
        await stack.connect({ assertionJku: false });
      }
    });
  });
}

describe('a discovery that lacks what the connection needs: a clear refusal before the EHR', () => {
  let stack: SmartStack;
  before(async () => {
    stack = await startSmartStack('sqlite', 'smart');
  });
  after(() => stack.close());

  const refusals = [
    {
      what: 'standalone launch without launch-standalone',
      mode: 'standalone',
      configuration: (origin: string) => ({
        capabilities: (defaultConfiguration(origin).capabilities as string[]).filter(
          (c) => c !== 'launch-standalone',
        ),
      }),
      connection: {},
      page: /This EHR does not offer standalone launch\.[\s\S]*capability launch-standalone/,
    },
    {
      what: 'EHR launch without launch-ehr',
      mode: 'ehr',
      configuration: (origin: string) => ({
        capabilities: (defaultConfiguration(origin).capabilities as string[]).filter(
          (c) => c !== 'launch-ehr',
        ),
      }),
      connection: {},
      page: /does not advertise EHR launch \(capability launch-ehr\)/,
    },
    {
      what: 'private_key_jwt configured, the token endpoint takes client_secret_basic only',
      mode: 'ehr',
      configuration: () => ({ token_endpoint_auth_methods_supported: ['client_secret_basic'] }),
      connection: { authMethod: 'private_key_jwt' },
      page: /authenticates with private_key_jwt, but the EHR’s token endpoint accepts only client_secret_basic/,
    },
    {
      what: 'S256 not offered',
      mode: 'ehr',
      configuration: () => ({ code_challenge_methods_supported: ['plain'] }),
      connection: {},
      page: /does not offer PKCE S256 \(it lists plain\)/,
    },
    {
      what: 'ES384 configured, the EHR verifies RS384 only',
      mode: 'ehr',
      configuration: () => ({ token_endpoint_auth_signing_alg_values_supported: ['RS384'] }),
      connection: { authMethod: 'private_key_jwt', signingAlg: 'ES384' },
      page: /signs its client assertion with ES384, but the EHR accepts only RS384/,
    },
    {
      what: 'SMART v2 scopes, the EHR takes v1 only',
      mode: 'ehr',
      configuration: (origin: string) => ({
        capabilities: (defaultConfiguration(origin).capabilities as string[]).filter(
          (c) => c !== 'permission-v2',
        ),
      }),
      connection: { scopes: 'openid fhirUser launch user/Patient.rs online_access' },
      page: /SMART v1 scopes only \(permission-v1\)\. Request “openid fhirUser launch user\/Patient\.read online_access” instead\./,
    },
  ] as const;

  for (const refusal of refusals) {
    it(`${refusal.what}: ehr_capability_mismatch, and nobody is sent to the EHR`, async () => {
      stack.ehr.configure({ configuration: refusal.configuration(stack.ehr.origin) });
      await stack.rediscover();
      await stack.connect({
        authMethod: 'client_secret_basic',
        signingAlg: 'auto',
        scopes: SCOPES.v1,
        ...refusal.connection,
      });
      const before = stack.ehr.requests.length;
      try {
        const iss = encodeURIComponent(stack.ehr.fhirBase);
        const url =
          refusal.mode === 'ehr'
            ? `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${iss}&launch=${stack.ehr.newLaunch()}`
            : `${stack.gatewayUrl}/api/auth/smart/standalone/${stack.orgId}?iss=${iss}`;
        const response = await fetch(url, { redirect: 'manual' });
        assert.equal(response.status, 409);
        assert.match(response.headers.get('content-type') as string, /^text\/html/);
        const page = await response.text();
        assert.match(page, /ehr_capability_mismatch/);
        assert.match(page, refusal.page);
        const sent = stack.ehr.requests.slice(before).map((r) => r.path);
        assert.deepEqual(sent, ['/fhir/.well-known/smart-configuration'], 'discovery only: no authorize');
        const [audit] = await stack.gateway.services.db
          .selectFrom('audit_event')
          .select('details')
          .where('action', '=', 'launch.refused')
          .orderBy('id', 'desc')
          .limit(1)
          .execute();
        assert.deepEqual(JSON.parse(audit?.details ?? '{}'), {
          code: 'ehr_capability_mismatch',
          iss: stack.ehr.fhirBase,
          mode: refusal.mode,
        });
      } finally {
        stack.ehr.configure({ configuration: {} });
        await stack.rediscover();
      }
    });
  }
});
