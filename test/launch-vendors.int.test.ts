/**
 * Issue 15's matrix over the local sandbox's three profiles (docs/sandbox-profiles.md): Cerner,
 * Epic (non-production) and the generic SMART App Launch 2 EHR, one gateway and one sandbox per
 * engine, on SQLite and PostgreSQL. Every client authentication (client_secret_basic,
 * private_key_jwt RS384 and ES384), SMART v1 and v2 scopes where the profile takes them, EHR and
 * standalone launches where the profile has them: the exact authorize parameters, the token
 * request, and every field of the launch context. The gateway learns each profile's paths from its
 * discovery alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createApiKey } from '../src/api/api-keys.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../src/launch/urls.ts';
import { EPIC_DEFAULT_LOGIN_DEPARTMENT, epicStyleId } from '../src/sandbox/epic-profile.ts';
import { type RunningSandbox, startSandbox } from '../src/sandbox/index.ts';
import { type ConnectionChanges, setConnection } from '../src/settings/connections.ts';
import { addFhirSource, type Vendor } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { AUTHORIZE_PARAMETERS, LAUNCH_CONTEXT_KEYS, launchIdFrom } from './support/launch-driver.ts';
import { startTestGateway } from './support/test-gateway.ts';

const APP = 'https://app.example.org/launch';
const SECRET = 'vendor-matrix-secret';
const WILMA = '12724065';
const WILMA_ENCOUNTER = '97953483';
const PORTAL = 'Practitioner/12742069';
const CLIENT = {
  cerner: 'cerner-v1-client',
  cernerV2: 'cerner-v2-client',
  epic: 'epic-nonprod-client',
  smart: 'smart-client',
};

const SCOPES = {
  cerner: {
    v1: 'openid fhirUser launch user/Patient.read user/Observation.read online_access',
  },
  epic: {
    v1: 'openid fhirUser launch user/Patient.read user/Observation.read offline_access',
    v2: 'openid fhirUser launch user/Patient.rs user/Observation.rs offline_access',
  },
  smart: {
    v2: 'openid fhirUser profile launch patient/*.rs user/Observation.rs?category=vital-signs online_access',
  },
} as const;

const AUTH = [
  { name: 'client_secret_basic', changes: { authMethod: 'client_secret_basic', signingAlg: 'auto' } },
  { name: 'private_key_jwt RS384', changes: { authMethod: 'private_key_jwt', signingAlg: 'RS384' } },
  { name: 'private_key_jwt ES384', changes: { authMethod: 'private_key_jwt', signingAlg: 'ES384' } },
] as const;

interface World {
  gateway: FastifyInstance;
  gatewayUrl: string;
  sandbox: RunningSandbox;
  /** Closes the gateway and drops its database. */
  stop(): Promise<void>;
  orgId: string;
  apiKey: string;
  iss: Record<Vendor, string>;
  connect(vendor: Vendor, changes: ConnectionChanges): Promise<void>;
}

async function startWorld(engine: 'sqlite' | 'postgres'): Promise<World> {
  const started = await startTestGateway({ engine, timeoutMs: 3000, logLevel: 'silent' });
  const { gateway, gatewayUrl, config } = started;
  const { db, sealer } = gateway.services;
  const org = await createOrganization(db, { name: 'Three EHRs Clinic' });
  const registered = {
    secret: SECRET,
    jwksUrl: jwksUrl(config),
    redirectUris: [callbackUrl(config)],
    launchUri: launchUrl(config, org.id),
  };
  const cernerApp = {
    name: 'Chartside',
    applicationId: `${CLIENT.cerner}-app`,
    clientId: CLIENT.cerner,
    accessType: 'offline' as const,
    scopes: ['openid', 'fhirUser', 'launch', 'online_access', 'user/Patient.read', 'user/Observation.read'],
    ...registered,
  };
  const sandbox = await startSandbox({
    port: 0,
    testControls: true,
    apps: [cernerApp],
    epicApps: [
      {
        name: 'Chartside (Epic)',
        nonProduction: { clientId: CLIENT.epic, secret: SECRET, jwksUrl: registered.jwksUrl },
        production: { clientId: 'epic-prod-client', secret: SECRET },
        redirectUris: registered.redirectUris,
        launchUri: registered.launchUri,
        scopes: ['user/Observation.read', 'user/Patient.read'],
      },
    ],
    smartApps: [
      {
        name: 'Chartside (SMART)',
        clientId: CLIENT.smart,
        ...registered,
        scopes: ['user/*.rs', 'patient/*.rs'],
      },
    ],
  });
  const iss: Record<Vendor, string> = {
    cerner: sandbox.fhirBaseUrl,
    epic: sandbox.epic.nonProduction.fhirBaseUrl,
    smart: sandbox.smart.fhirBaseUrl,
  };
  for (const vendor of ['cerner', 'epic', 'smart'] as const) {
    const source = await addFhirSource(db, {
      iss: iss[vendor],
      vendor,
      environment: 'sandbox',
      name: `${vendor} sandbox`,
    });
    await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'test' });
  }
  const connect = async (vendor: Vendor, changes: ConnectionChanges) => {
    await setConnection(db, sealer, config, org.id, vendor, changes);
  };
  for (const vendor of ['cerner', 'epic', 'smart'] as const) {
    await connect(vendor, {
      appLaunchUrl: APP,
      useCustomCredentials: true,
      clientId: CLIENT[vendor],
      clientSecret: SECRET,
    });
  }
  const { key } = await createApiKey(db, org.id, 'test');
  return { gateway, gatewayUrl, sandbox, stop: started.close, orgId: org.id, apiKey: key, iss, connect };
}

/** Follow the sandbox's redirects (authorize, sign-in, picker) until it sends the browser back to us. */
async function throughTheEhr(world: World, authorizeUrl: URL, cookie: string): Promise<URL> {
  let next = authorizeUrl;
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(next, { redirect: 'manual', headers: { cookie } });
    assert.equal(
      response.status,
      302,
      `${next.pathname} answered ${response.status}: ${await response.text()}`,
    );
    next = new URL(response.headers.get('location') as string, next);
    if (next.origin === world.gatewayUrl) return next;
  }
  assert.fail('the EHR never sent the browser back');
}

async function controls(world: World, path: string, body: Record<string, unknown>) {
  const response = await fetch(`${world.sandbox.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as Record<string, string>;
}

interface Driven {
  authorizeUrl: URL;
  callbackUrl: URL;
  callbackResponse: Response;
  launch: string | null;
}

async function drive(
  world: World,
  vendor: Vendor,
  clientId: string,
  mode: 'ehr' | 'standalone',
): Promise<Driven> {
  let first: Response;
  let cookie: string;
  let launch: string | null = null;
  if (mode === 'ehr') {
    const extras =
      vendor === 'smart'
        ? { intent: 'reconcile-medications', fhir_context: [{ reference: 'Observation/VS-12724065-bp-1' }] }
        : {};
    const launched = await controls(world, '/_test/launch', {
      client_id: clientId,
      patient: WILMA,
      encounter: WILMA_ENCOUNTER,
      ...extras,
    });
    launch = launched.launch as string;
    cookie = launched.session_cookie as string;
    first = await fetch(launched.launch_url as string, { redirect: 'manual' });
  } else {
    cookie = (await controls(world, '/_test/sessions', { patient: WILMA })).session_cookie as string;
    first = await fetch(
      `${world.gatewayUrl}/api/auth/smart/standalone/${world.orgId}?iss=${encodeURIComponent(world.iss[vendor])}`,
      {
        redirect: 'manual',
      },
    );
  }
  assert.equal(first.status, 302, `the first hop answered ${first.status}: ${await first.text()}`);
  const authorizeUrl = new URL(first.headers.get('location') as string);
  const callbackUrl = await throughTheEhr(world, authorizeUrl, cookie);
  const callbackResponse = await fetch(callbackUrl, { redirect: 'manual' });
  return { authorizeUrl, callbackUrl, callbackResponse, launch };
}

async function lastTokenRequest(world: World, vendor: Vendor) {
  const response = await fetch(`${world.sandbox.origin}/_test/requests?profile=${vendor}`);
  const { requests } = (await response.json()) as {
    requests: { endpoint: string; headers: Record<string, string>; form: Record<string, string> | null }[];
  };
  const token = requests.filter((r) => r.endpoint === 'token').at(-1);
  assert.ok(token?.form, `a token request at the ${vendor} profile`);
  return { headers: token.headers, form: token.form };
}

/**
 * Every field of the launch context each profile's token response makes (docs/sandbox-profiles.md,
 * docs/cerner.md §5), but the launch's own id, source id and times.
 */
function expectedContext(world: World, vendor: Vendor, mode: 'ehr' | 'standalone', requested: string) {
  const origin = world.sandbox.origin;
  const common = {
    resource_type: 'launch_context',
    status: 'ready',
    patient: `Patient/${WILMA}`,
    encounter: mode === 'ehr' ? `Encounter/${WILMA_ENCOUNTER}` : null,
    fhir_user: PORTAL,
    fhir_base_url: world.iss[vendor],
    vendor,
    environment: 'sandbox',
  };
  if (vendor === 'cerner') {
    return {
      ...common,
      user_name: 'Portal, Portal',
      // Granted as requested, in ASCII order (docs/cerner.md §5).
      scope: requested.split(' ').sort().join(' '),
      need_patient_banner: true,
      smart_style_url: `${origin}/styles/smart-v1.json`,
      tenant: world.sandbox.tenant,
      intent: null,
      fhir_context: null,
      extra_context: { user: '12742069', username: 'portal' },
    };
  }
  if (vendor === 'epic') {
    return {
      ...common,
      // Epic's clinician standalone launch has no patient picker (docs/sandbox-profiles.md).
      patient: mode === 'ehr' ? `Patient/${WILMA}` : null,
      user_name: null,
      // The registered APIs whatever was asked, then launch and openid; offline_access not echoed.
      scope:
        mode === 'ehr'
          ? 'user/Observation.read user/Patient.read launch openid'
          : 'user/Observation.read user/Patient.read openid',
      need_patient_banner: true,
      smart_style_url: `${origin}/epic/nonprod/api/epic/2016/EDI/HTTP/style/100016/sandbox.json`,
      tenant: null,
      intent: null,
      fhir_context: null,
      // Epic's own fields pass through; the `state` it repeats does not.
      extra_context:
        mode === 'ehr'
          ? {
              '__epic.dstu2.patient': epicStyleId('dstu2-patient', WILMA),
              loginDepartment: EPIC_DEFAULT_LOGIN_DEPARTMENT,
            }
          : null,
    };
  }
  return {
    ...common,
    user_name: 'Portal Portal',
    scope: requested,
    need_patient_banner: false,
    smart_style_url: `${origin}/smart-ehr/smart-style.json`,
    tenant: 'chartside-smart-sandbox',
    intent: mode === 'ehr' ? 'reconcile-medications' : null,
    fhir_context: mode === 'ehr' ? [{ reference: 'Observation/VS-12724065-bp-1' }] : null,
    extra_context: null,
  };
}

const CASES: { vendor: Vendor; syntax: 'v1' | 'v2'; modes: ('ehr' | 'standalone')[] }[] = [
  // The Cerner profile does not imitate standalone launches, and its SMART v2 apps need the
  // smart-v2 paths its discovery does not advertise (docs/cerner.md §2, §13): v1, EHR launch.
  { vendor: 'cerner', syntax: 'v1', modes: ['ehr'] },
  { vendor: 'epic', syntax: 'v1', modes: ['ehr', 'standalone'] },
  { vendor: 'epic', syntax: 'v2', modes: ['ehr'] },
  { vendor: 'smart', syntax: 'v2', modes: ['ehr', 'standalone'] },
];

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`launches into the sandbox’s Cerner, Epic and SMART profiles (${engine})`, () => {
    let world: World;
    before(async () => {
      world = await startWorld(engine);
    });
    after(async () => {
      await world.stop();
      await world.sandbox.close();
    });

    for (const { vendor, syntax, modes } of CASES) {
      for (const mode of modes) {
        for (const auth of AUTH) {
          it(`${vendor}, ${mode} launch, ${auth.name}, SMART ${syntax} scopes`, async () => {
            const scopes = (SCOPES[vendor] as Record<string, string>)[syntax] as string;
            const clientId = CLIENT[vendor];
            await world.connect(vendor, { ...auth.changes, clientId, scopes });
            const { authorizeUrl, callbackUrl, callbackResponse, launch } = await drive(
              world,
              vendor,
              clientId,
              mode,
            );

            const params = Object.fromEntries(authorizeUrl.searchParams);
            const requested = mode === 'ehr' ? scopes : scopes.replace(' launch ', ' launch/patient ');
            assert.deepEqual(
              Object.keys(params).sort(),
              mode === 'ehr' ? AUTHORIZE_PARAMETERS : AUTHORIZE_PARAMETERS.filter((p) => p !== 'launch'),
            );
            assert.equal(params.client_id, clientId);
            assert.equal(params.scope, requested);
            assert.equal(params.aud, world.iss[vendor]);
            assert.equal(params.redirect_uri, `${world.gatewayUrl}/api/auth/smart/launch-callback`);
            assert.equal(params.code_challenge_method, 'S256');
            if (launch) assert.equal(params.launch, launch);

            const token = await lastTokenRequest(world, vendor);
            assert.equal(token.form.grant_type, 'authorization_code');
            assert.equal(token.form.code, callbackUrl.searchParams.get('code'));
            assert.equal(token.form.redirect_uri, params.redirect_uri);
            if (auth.changes.authMethod === 'client_secret_basic') {
              assert.deepEqual(Object.keys(token.form).sort(), [
                'code',
                'code_verifier',
                'grant_type',
                'redirect_uri',
              ]);
              assert.equal(
                token.headers.authorization,
                `Basic ${Buffer.from(`${clientId}:${SECRET}`).toString('base64')}`,
              );
            } else {
              assert.deepEqual(Object.keys(token.form).sort(), [
                'client_assertion',
                'client_assertion_type',
                'client_id',
                'code',
                'code_verifier',
                'grant_type',
                'redirect_uri',
              ]);
              const header = decodeProtectedHeader(token.form.client_assertion as string);
              assert.deepEqual([header.alg, header.typ], [auth.changes.signingAlg, 'JWT']);
              assert.ok(header.kid);
              const claims = decodeJwt(token.form.client_assertion as string);
              assert.deepEqual([claims.iss, claims.sub], [clientId, clientId]);
            }

            const id = launchIdFrom(callbackResponse);
            const response = await fetch(`${world.gatewayUrl}/launch-contexts/${id}`, {
              headers: { authorization: `Bearer ${world.apiKey}` },
            });
            const context = (await response.json()) as Record<string, unknown>;
            assert.equal(response.status, 200);
            assert.deepEqual(Object.keys(context).sort(), LAUNCH_CONTEXT_KEYS);
            const { id: launchId, fhir_source, created_at, expires_at, ...rest } = context;
            assert.equal(launchId, id);
            assert.match(String(fhir_source), /^fhirsrc_/);
            assert.deepEqual(rest, expectedContext(world, vendor, mode, requested));
            // Every profile gave a refresh token: the launch's maximum age (12 h) bounds it.
            assert.equal(
              expires_at,
              new Date(Date.parse(created_at as string) + 12 * 3_600_000).toISOString(),
            );
          });
        }
      }
    }

    it('smart: a launch reads FHIR through the proxy; DELETE revokes at the profile’s revocation endpoint, then the proxy refuses', async () => {
      await world.connect('smart', {
        authMethod: 'private_key_jwt',
        signingAlg: 'ES384',
        clientId: CLIENT.smart,
        scopes: SCOPES.smart.v2,
      });
      const id = launchIdFrom((await drive(world, 'smart', CLIENT.smart, 'ehr')).callbackResponse);
      const api = { authorization: `Bearer ${world.apiKey}` };
      const read = await fetch(`${world.gatewayUrl}/fhir/${id}/Patient/${WILMA}`, { headers: api });
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { id: string }).id, WILMA);

      await fetch(`${world.sandbox.origin}/_test/requests`, { method: 'DELETE' });
      const ended = await fetch(`${world.gatewayUrl}/launch-contexts/${id}`, {
        method: 'DELETE',
        headers: api,
      });
      assert.equal(ended.status, 200);
      assert.equal(((await ended.json()) as { status: string }).status, 'ended');
      const { requests } = (await (
        await fetch(`${world.sandbox.origin}/_test/requests?profile=smart`)
      ).json()) as {
        requests: { endpoint: string; form: Record<string, string> | null }[];
      };
      const revoked = requests.filter((r) => r.endpoint === 'revoke');
      assert.deepEqual(revoked.map((r) => r.form?.token_type_hint).sort(), ['access_token', 'refresh_token']);
      for (const r of revoked) {
        const header = decodeProtectedHeader(r.form?.client_assertion as string);
        assert.equal(header.alg, 'ES384', 'authenticated as at the token endpoint');
        assert.equal(
          decodeJwt(r.form?.client_assertion as string).aud,
          `${world.sandbox.origin}/smart-ehr/auth/revoke`,
        );
      }
      const after = await fetch(`${world.gatewayUrl}/fhir/${id}/Patient/${WILMA}`, { headers: api });
      assert.equal(after.status, 502);
      assert.match(await after.text(), /token_unavailable/);
    });

    it('smart: SMART v1 scopes to the v2-only profile are refused before anyone goes there', async () => {
      await world.connect('smart', {
        authMethod: 'client_secret_basic',
        clientId: CLIENT.smart,
        scopes: 'openid fhirUser launch user/Patient.read',
      });
      const response = await fetch(
        `${world.gatewayUrl}/api/auth/smart/standalone/${world.orgId}?iss=${encodeURIComponent(world.iss.smart)}`,
        { redirect: 'manual' },
      );
      assert.equal(response.status, 409);
      assert.match(
        await response.text(),
        /SMART v2 scopes only \(permission-v2\)\. Request “openid fhirUser launch user\/Patient\.rs” instead\./,
      );
    });
  });
}
