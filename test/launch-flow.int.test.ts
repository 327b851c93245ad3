/**
 * The full EHR launch through the local Cerner sandbox, on SQLite and PostgreSQL, with both
 * client authentication methods: what goes over the wire at each hop, and what is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { setConnection } from '../src/settings/connections.ts';
import {
  AUTHORIZE_PARAMETERS,
  driveLaunch,
  LAUNCH_CONTEXT_KEYS,
  launchIdFrom,
  readContext,
} from './support/launch-driver.ts';
import { clearRecordedRequests, recordedRequests } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const matrix = [
  { engine: 'sqlite', authMethod: 'client_secret_basic' },
  { engine: 'sqlite', authMethod: 'private_key_jwt' },
  { engine: 'postgres', authMethod: 'client_secret_basic' },
  { engine: 'postgres', authMethod: 'private_key_jwt' },
] as const;

for (const { engine, authMethod } of matrix) {
  describe(`EHR launch end to end (${engine}, ${authMethod})`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ engine, authMethod });
    });
    after(() => stack.close());

    it('redirects to the EHR authorize endpoint with exactly the SMART parameters', async () => {
      await clearRecordedRequests(stack.sandbox);
      const { authorizeUrl, ehrLaunch, callbackResponse } = await driveLaunch(stack);
      const params = Object.fromEntries(authorizeUrl.searchParams);
      assert.equal(
        authorizeUrl.origin + authorizeUrl.pathname,
        `${stack.sandbox.origin}/tenants/${stack.sandbox.tenant}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize`,
      );
      assert.deepEqual(Object.keys(params).sort(), AUTHORIZE_PARAMETERS);
      assert.equal(params.response_type, 'code');
      assert.equal(params.client_id, stack.clientId);
      assert.equal(params.redirect_uri, `${stack.gatewayUrl}/api/auth/smart/launch-callback`);
      assert.equal(
        params.scope,
        'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access',
      );
      assert.equal(params.aud, ehrLaunch.iss, 'aud is the iss byte for byte');
      assert.equal(params.launch, ehrLaunch.launch);
      assert.equal(params.code_challenge_method, 'S256');
      assert.match(params.code_challenge as string, /^[A-Za-z0-9_-]{43}$/);
      assert.ok((params.state as string).length >= 22, 'state carries at least 128 bits');
      launchIdFrom(callbackResponse);

      const discovery = await recordedRequests(stack.sandbox, 'smart-configuration');
      assert.equal(discovery.length, 1, 'discovery ran once and is cached for the next launch');
    });

    it('exchanges the code with PKCE and the configured client authentication', async () => {
      await clearRecordedRequests(stack.sandbox);
      const { authorizeUrl, callbackUrl, callbackResponse } = await driveLaunch(stack);
      launchIdFrom(callbackResponse);
      const [token] = await recordedRequests(stack.sandbox, 'token');
      assert.ok(token?.form, 'one token request');
      assert.equal(
        token.path,
        new URL(
          `/tenants/${stack.sandbox.tenant}/hosts/${new URL(stack.sandbox.origin).host}/protocols/oauth2/profiles/smart-v1/token`,
          stack.sandbox.origin,
        ).pathname,
        'the discovered hosts/ token URL',
      );
      assert.equal(token.form.grant_type, 'authorization_code');
      assert.equal(token.form.code, callbackUrl.searchParams.get('code'));
      assert.equal(token.form.redirect_uri, authorizeUrl.searchParams.get('redirect_uri'));
      assert.match(token.form.code_verifier as string, /^[A-Za-z0-9_-]{43,128}$/);
      if (authMethod === 'client_secret_basic') {
        assert.match(token.headers.authorization as string, /^Basic /);
        assert.equal(token.form.client_assertion, undefined);
      } else {
        assert.equal(token.headers.authorization, undefined);
        assert.equal(
          token.form.client_assertion_type,
          'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        );
        const assertion = token.form.client_assertion as string;
        const header = decodeProtectedHeader(assertion);
        const claims = decodeJwt(assertion);
        assert.equal(header.alg, 'RS384');
        assert.equal(header.typ, 'JWT');
        const jwks = (await (await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`)).json()) as {
          keys: { kid: string }[];
        };
        assert.ok(
          jwks.keys.some((k) => k.kid === header.kid),
          'the assertion’s kid is published in our JWKS',
        );
        assert.equal(claims.iss, stack.clientId);
        assert.equal(claims.sub, stack.clientId);
        assert.equal(claims.aud, `${stack.sandbox.origin}${token.path}`);
        assert.ok((claims.exp as number) - (claims.iat as number) <= 300);
      }
    });

    if (authMethod === 'private_key_jwt') {
      it('signs the assertion ES384 when the connection chooses it, and Cerner takes it (docs/cerner.md §4)', async () => {
        const { db, sealer, config } = stack.gateway.services;
        await setConnection(db, sealer, config, stack.orgId, 'cerner', { signingAlg: 'ES384' });
        try {
          await clearRecordedRequests(stack.sandbox);
          launchIdFrom((await driveLaunch(stack)).callbackResponse);
          const [token] = await recordedRequests(stack.sandbox, 'token');
          const header = decodeProtectedHeader(token?.form?.client_assertion as string);
          assert.equal(header.alg, 'ES384');
          const jwks = (await (await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`)).json()) as {
            keys: { kid: string; alg: string }[];
          };
          assert.equal(jwks.keys.find((k) => k.kid === header.kid)?.alg, 'ES384');
        } finally {
          await setConnection(db, sealer, config, stack.orgId, 'cerner', { signingAlg: 'auto' });
        }
      });
    }

    it('lands on the app launch URL with mb_launch, and the handle resolves to the launch context', async () => {
      const { callbackResponse } = await driveLaunch(stack, { patient: '12724065', encounter: '97953483' });
      const location = new URL(callbackResponse.headers.get('location') as string);
      assert.equal(location.origin + location.pathname, 'https://app.example.org/launch');
      assert.equal(location.searchParams.get('tenant'), 'demo', 'the app launch URL’s own query is kept');
      const id = launchIdFrom(callbackResponse);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

      const { response, body } = await readContext(stack, id);
      assert.equal(response.status, 200);
      assert.ok(response.headers.get('x-request-id'));
      assert.deepEqual(Object.keys(body).sort(), LAUNCH_CONTEXT_KEYS);
      assert.equal(body.id, id);
      assert.equal(body.resource_type, 'launch_context');
      assert.equal(body.status, 'ready');
      assert.equal(body.patient, 'Patient/12724065');
      assert.equal(body.encounter, 'Encounter/97953483');
      assert.equal(body.fhir_user, 'Practitioner/12742069');
      assert.equal(body.fhir_base_url, stack.sandbox.fhirBaseUrl);
      assert.match(body.fhir_source as string, /^fhirsrc_/);
      assert.equal(body.environment, 'sandbox', 'the source’s environment when the launch started');
      assert.match(String(body.scope), /\blaunch\b/);
      const createdAt = Date.parse(body.created_at as string);
      assert.ok(!Number.isNaN(createdAt));
      // The rest of Cerner's token response (docs/cerner.md §5), as the context carries it.
      assert.equal(body.user_name, 'Portal, Portal', 'the verified id_token’s name claim');
      assert.equal(body.need_patient_banner, true);
      assert.equal(body.smart_style_url, `${stack.sandbox.origin}/styles/smart-v1.json`);
      assert.equal(body.tenant, stack.sandbox.tenant);
      assert.equal(body.intent, null);
      assert.equal(body.fhir_context, null);
      assert.deepEqual(body.extra_context, { user: '12742069', username: 'portal' });
      assert.equal(body.vendor, 'cerner');
      assert.equal(body.expires_at, new Date(createdAt + 12 * 3_600_000).toISOString(), 'the maximum age');
    });

    it('stores the tokens sealed and the context in ehr_launch, and the patient as a scoped account', async () => {
      const first = launchIdFrom(
        (await driveLaunch(stack, { patient: '12724067', encounter: '97953480' })).callbackResponse,
      );
      const second = launchIdFrom(
        (await driveLaunch(stack, { patient: '12724067', encounter: '97953480' })).callbackResponse,
      );
      const { db, sealer } = stack.gateway.services;
      const row = await db
        .selectFrom('ehr_launch')
        .selectAll()
        .where('id', '=', second)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'ready');
      assert.equal(row.patient_fhir_id, '12724067');
      assert.equal(row.encounter_fhir_id, '97953480');
      assert.equal(row.fhir_user, 'Practitioner/12742069');
      assert.equal(row.tenant, stack.sandbox.tenant);
      assert.equal(row.need_patient_banner, 1);
      assert.ok(row.smart_style_url);
      assert.ok(row.token_expires_at && Date.parse(row.token_expires_at) > Date.now());
      assert.match(row.access_token as string, /^v1\./);
      const accessToken = sealer.open(row.access_token as string, `ehr_launch.access_token:${second}`);
      assert.equal(
        decodeProtectedHeader(accessToken).alg,
        'ES256',
        'a real Cerner-shaped access token was sealed',
      );
      assert.ok(row.refresh_token, 'offline access: a refresh token is held');
      const claims = JSON.parse(row.id_token_claims as string);
      assert.equal(claims.aud, stack.clientId);

      const account = await db
        .selectFrom('scoped_account')
        .selectAll()
        .where('org_id', '=', stack.orgId)
        .where('patient_fhir_id', '=', '12724067')
        .executeTakeFirstOrThrow();
      assert.equal(account.launch_count, 2, 'one scoped account per (org, source, patient)');
      assert.equal(account.first_launch_id, first);
      assert.equal(account.last_launch_id, second);
    });

    it('never writes the access token in plaintext anywhere in the database', async () => {
      const id = launchIdFrom((await driveLaunch(stack)).callbackResponse);
      const { db, sealer } = stack.gateway.services;
      const row = await db
        .selectFrom('ehr_launch')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const accessToken = sealer.open(row.access_token as string, `ehr_launch.access_token:${id}`);
      const refreshToken = sealer.open(row.refresh_token as string, `ehr_launch.refresh_token:${id}`);
      const haystack = await databaseContents(stack);
      assert.ok(haystack.length > 1000, 'the dump has content');
      for (const secret of [accessToken, refreshToken, accessToken.split('.')[2] as string]) {
        assert.ok(!haystack.includes(secret), 'token bytes found in the database');
      }
    });
  });
}

/** Every byte of the database: the SQLite files (with WAL), or every row of every table in PostgreSQL. */
async function databaseContents(stack: Stack): Promise<string> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  if (stack.database.folder) {
    const folder = stack.database.folder;
    return readdirSync(folder)
      .map((file) => readFileSync(join(folder, file)).toString('latin1'))
      .join('\n');
  }
  const { sql } = await import('kysely');
  const { db } = stack.gateway.services;
  const tables = [
    'organization',
    'fhir_source',
    'connection',
    'launch_state',
    'ehr_launch',
    'scoped_account',
    'api_key',
    'signing_key',
    'audit_event',
  ];
  const dumps = await Promise.all(
    tables.map(async (table) =>
      JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(db)).rows),
    ),
  );
  return dumps.join('\n');
}
