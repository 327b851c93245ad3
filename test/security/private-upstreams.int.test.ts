/**
 * CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS on the wire: an upstream of a production source (or, in
 * production mode, the app's CDS service) on a private address is refused before any connection
 * unless its range is allow-listed, and reached when it is — on the launch's discovery, the FHIR
 * proxy, the CDS relay's FHIR reads and the relay's calls to the app.
 *
 * Names resolve through the outbound wrapper's injectable `resolveHost` (test/support/ssrf.ts):
 * `allowed.onprem.example.test` to 127.0.0.1 (allow-listed as `127.0.0.1/32`) and
 * `blocked.onprem.example.test` to 127.0.0.2 (not allow-listed), each with a counting listener
 * there. No test certificate is trusted, so a permitted https call fails its TLS handshake with
 * the listener: the connection the listener counts is the proof that the policy let it through.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addTrustedCdsIssuer } from '../../src/cds/issuers.ts';
import { createOutboundHttp } from '../../src/http/outbound.ts';
import { setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import {
  type FakeCdsApp,
  type FakeEhr,
  PATIENT_VIEW_HOOK,
  startFakeCdsApp,
  startFakeEhr,
} from '../support/cds.ts';
import { auditEvents, firstIssue, proxyFetch } from '../support/fhir-proxy.ts';
import { driveLaunch, launchIdFrom } from '../support/launch-driver.ts';
import { type CountingListener, countingListener, resolverFor } from '../support/ssrf.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { inProcessGateway } from './gateway.ts';

const ALLOWED_HOST = 'allowed.onprem.example.test';
const BLOCKED_HOST = 'blocked.onprem.example.test';
const ALLOW_LIST = { CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: '127.0.0.1/32' };
const resolveHost = resolverFor({ [ALLOWED_HOST]: '127.0.0.1', [BLOCKED_HOST]: '127.0.0.2' });

/** The two private "EHRs": one in the allowed range, one outside it. */
async function privateListeners() {
  const allowed = await countingListener('127.0.0.1');
  const blocked = await countingListener('127.0.0.2');
  return {
    allowed,
    blocked,
    base: (listener: CountingListener, host: string) => `https://${host}:${listener.port}/r4/tenant`,
    close: () => Promise.all([allowed.close(), blocked.close()]),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('private upstreams: the FHIR proxy and the CDS relay’s FHIR reads', () => {
  let stack: Stack;
  let ehr: FakeEhr;
  let cdsApp: FakeCdsApp;
  let listeners: Awaited<ReturnType<typeof privateListeners>>;
  let allowedBase: string;
  let blockedBase: string;

  before(async () => {
    listeners = await privateListeners();
    allowedBase = listeners.base(listeners.allowed, ALLOWED_HOST);
    blockedBase = listeners.base(listeners.blocked, BLOCKED_HOST);
    stack = await startStack({
      env: ALLOW_LIST,
      build: { http: createOutboundHttp({ timeoutMs: 2000, resolveHost }) },
    });
    const { db, sealer, config } = stack.gateway.services;
    for (const iss of [allowedBase, blockedBase]) {
      await addFhirSource(db, { iss, vendor: 'cerner', environment: 'production', name: iss });
    }
    ehr = await startFakeEhr();
    cdsApp = await startFakeCdsApp();
    cdsApp.answer('/cds-services/statins', { body: { cards: [] } });
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { cdsEndpoint: cdsApp.endpoint });
    await addTrustedCdsIssuer(db, config, stack.orgId, { issuer: ehr.issuer, jwksUrl: ehr.jwksUrl });
  });
  after(async () => {
    await stack.close();
    await ehr.close();
    await cdsApp.close();
    await listeners.close();
  });

  /** A hook call whose fhirServer is `fhirServer`; the FHIR base and token the app was given. */
  async function cdsFhirGrant(fhirServer: string): Promise<{ base: string; token: string }> {
    const serviceUrl = `${stack.gatewayUrl}/api/cds/${stack.orgId}/cds-services/statins`;
    const response = await fetch(serviceUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await ehr.sign(serviceUrl)}` },
      body: JSON.stringify({
        ...PATIENT_VIEW_HOOK,
        hookInstance: randomUUID(),
        fhirServer,
        fhirAuthorization: {
          access_token: 'ehr-access-token',
          token_type: 'Bearer',
          expires_in: 300,
          scope: 'user/Patient.read',
          subject: 'cds-client',
          patient: PATIENT_VIEW_HOOK.context.patientId,
        },
      }),
    });
    assert.equal(response.status, 200, await response.text());
    const seen = cdsApp.requests.filter((r) => r.path === '/cds-services/statins').at(-1);
    const body = JSON.parse(seen?.body ?? '{}') as {
      fhirServer?: string;
      fhirAuthorization?: { access_token: string };
    };
    assert.ok(body.fhirServer && body.fhirAuthorization, 'the app was given FHIR access');
    return { base: body.fhirServer, token: body.fhirAuthorization.access_token };
  }

  const readPatient = async ({ base, token }: { base: string; token: string }) => {
    const response = await fetch(`${base}/Patient/${PATIENT_VIEW_HOOK.context.patientId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('CDS FHIR reads: refuse a production source resolving to a private address outside the allow list, connecting nowhere', async () => {
    const answer = await readPatient(await cdsFhirGrant(blockedBase));
    assert.equal(answer.status, 502);
    assert.equal(firstIssue(answer.body).details.coding[0]?.code, 'ehr_endpoint_not_allowed');
    await settle();
    assert.equal(listeners.blocked.connections(), 0, 'no connection to the private address');
  });

  it('CDS FHIR reads: reach a production source whose private address is allow-listed', async () => {
    const before = listeners.allowed.connections();
    const answer = await readPatient(await cdsFhirGrant(allowedBase));
    // The policy let the call through: the connection reached the listener, whose TLS (none)
    // fails, so the answer is "could not be reached" rather than a refusal.
    assert.equal(answer.status, 502);
    assert.equal(firstIssue(answer.body).details.coding[0]?.code, 'fhir_error');
    assert.ok(listeners.allowed.connections() > before, 'the allow-listed address was connected to');
  });

  it('the FHIR proxy: the same refusal and the same reach for a launch of a production source', async () => {
    const { db } = stack.gateway.services;
    const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
    // The ready launch now belongs to a production source on the private network.
    const pointAt = async (iss: string) => {
      const source = await db
        .selectFrom('fhir_source')
        .select('id')
        .where('fhir_base_url', '=', iss)
        .executeTakeFirstOrThrow();
      await db
        .updateTable('ehr_launch')
        .set({ fhir_source_id: source.id, iss })
        .where('id', '=', launchId)
        .execute();
    };

    await pointAt(blockedBase);
    const refused = await proxyFetch(stack.gatewayUrl, stack.apiKey, launchId, 'Patient/12724066');
    assert.equal(refused.response.status, 502);
    assert.equal(firstIssue(refused.body).details.coding[0]?.code, 'ehr_endpoint_not_allowed');
    await settle();
    assert.equal(listeners.blocked.connections(), 0);

    await pointAt(allowedBase);
    const before = listeners.allowed.connections();
    const reached = await proxyFetch(stack.gatewayUrl, stack.apiKey, launchId, 'Patient/12724066');
    assert.equal(reached.response.status, 502);
    assert.equal(firstIssue(reached.body).details.coding[0]?.code, 'fhir_error');
    assert.ok(listeners.allowed.connections() > before);
  });
});

describe('private upstreams: launch discovery of a production source', () => {
  const ALLOWED_ISS = 'https://ehr.onprem.example.test/r4/tenant';
  const OUTSIDE_ISS = 'https://ehr2.onprem.example.test/r4/tenant';
  const UNRESOLVABLE_ISS = 'https://ehr3.onprem.example.test/r4/tenant';
  let app: FastifyInstance;
  let orgIds: Record<string, string>;
  const transported: string[] = [];
  const documents: Record<string, Record<string, string>> = {
    [ALLOWED_ISS]: {
      authorization_endpoint: 'https://10.20.0.6/authorize',
      token_endpoint: 'https://ehr.onprem.example.test/token',
    },
    [OUTSIDE_ISS]: {
      authorization_endpoint: 'https://192.168.0.6/authorize',
      token_endpoint: 'https://ehr2.onprem.example.test/token',
    },
    [UNRESOLVABLE_ISS]: {
      authorization_endpoint: 'https://10.20.0.6/authorize',
      token_endpoint: 'https://ehr3.onprem.example.test/token',
    },
  };

  before(async () => {
    const fetchImpl = (async (input: string | URL | Request) => {
      const url = String(input instanceof Request ? input.url : input);
      transported.push(url);
      const document = Object.entries(documents).find(
        ([iss]) => url === `${iss}/.well-known/smart-configuration`,
      );
      if (!document) return new Response('not here', { status: 404 });
      return new Response(JSON.stringify(document[1]), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const gateway = await inProcessGateway(
      { CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: '10.20.0.0/16' },
      {
        http: createOutboundHttp({
          timeoutMs: 2000,
          fetchImpl,
          resolveHost: resolverFor({
            'ehr.onprem.example.test': '10.20.0.5',
            'ehr2.onprem.example.test': '10.20.0.7',
            'ehr3.onprem.example.test': '192.168.0.5',
          }),
        }),
      },
    );
    app = gateway.app;
    orgIds = {};
    const { db, sealer, config } = app.services;
    // A production tenant belongs to one organization: one org per source.
    for (const iss of [ALLOWED_ISS, OUTSIDE_ISS, UNRESOLVABLE_ISS]) {
      const org = iss === ALLOWED_ISS ? gateway.orgId : (await createOrganization(db, { name: iss })).id;
      const source = await addFhirSource(db, { iss, vendor: 'cerner', environment: 'production', name: iss });
      await linkOrgToSource(db, { orgId: org, sourceId: source.id, actor: 'test' });
      await setConnection(db, sealer, config, org, 'cerner', {
        appLaunchUrl: 'https://app.example.org/launch',
        useCustomCredentials: true,
        clientId: 'client-1',
        clientSecret: 'secret-1',
        authMethod: 'client_secret_basic',
      });
      orgIds[iss] = org;
    }
  });
  after(() => app.close());

  const launch = (iss: string) =>
    app.inject({
      method: 'GET',
      url: `/api/auth/smart/launch/${orgIds[iss]}?iss=${encodeURIComponent(iss)}&launch=l-1`,
    });

  it('reaches an iss that resolves into the allowed range and authorizes at an allowed literal address', async () => {
    transported.length = 0;
    const response = await launch(ALLOWED_ISS);
    assert.equal(response.statusCode, 302, response.body);
    assert.ok(String(response.headers.location).startsWith('https://10.20.0.6/authorize?'));
    assert.deepEqual(transported, [`${ALLOWED_ISS}/.well-known/smart-configuration`]);
  });

  it('still refuses an endpoint outside the allowed range, sending nothing there', async () => {
    transported.length = 0;
    const response = await launch(OUTSIDE_ISS);
    assert.equal(response.statusCode, 502, response.body);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /ehr_endpoint_not_allowed/);
    assert.deepEqual(transported, [`${OUTSIDE_ISS}/.well-known/smart-configuration`]);
  });

  it('refuses an iss that resolves outside the allowed range before calling it', async () => {
    transported.length = 0;
    const response = await launch(UNRESOLVABLE_ISS);
    assert.equal(response.statusCode, 502, response.body);
    assert.match(response.body, /ehr_endpoint_not_allowed/);
    assert.deepEqual(transported, []);
  });
});

describe('private upstreams: the app’s CDS service in production mode', () => {
  const JWKS_URL = 'https://cds-ehr.example.test/jwk';
  let app: FastifyInstance;
  let orgId: string;
  let ehr: FakeEhr;
  let listeners: Awaited<ReturnType<typeof privateListeners>>;

  before(async () => {
    listeners = await privateListeners();
    ehr = await startFakeEhr();
    // The EHR's JWKS (a public name) is served from the fake EHR; the app's service is called
    // over a real socket, where the listeners count connections.
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      return url === JWKS_URL ? fetch(ehr.jwksUrl) : fetch(input, init);
    }) as typeof fetch;
    ({ app, orgId } = await inProcessGateway(
      // Each test points the connection at another endpoint: nothing may be remembered between.
      { CHARTSIDE_ENV: 'production', CHARTSIDE_LOOKUP_CACHE_MS: '0', ...ALLOW_LIST },
      { http: createOutboundHttp({ timeoutMs: 2000, fetchImpl, resolveHost }) },
    ));
    await addTrustedCdsIssuer(app.services.db, app.services.config, orgId, {
      issuer: ehr.issuer,
      jwksUrl: JWKS_URL,
    });
  });
  after(async () => {
    await app.close();
    await ehr.close();
    await listeners.close();
  });

  async function callHook(cdsEndpoint: string) {
    const { db, sealer, config } = app.services;
    await setConnection(db, sealer, config, orgId, 'cerner', { cdsEndpoint });
    const serviceUrl = `${config.publicUrl}/api/cds/${orgId}/cds-services/statins`;
    const response = await app.inject({
      method: 'POST',
      url: new URL(serviceUrl).pathname,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await ehr.sign(serviceUrl)}` },
      payload: JSON.stringify({ ...PATIENT_VIEW_HOOK, hookInstance: randomUUID() }),
    });
    const failed = (await auditEvents(db, { action: 'cds.service_failed' })).at(-1);
    return { response, failed };
  }

  it('refuses a CDS endpoint on a private address outside the allow list: empty cards, audited, no connection', async () => {
    const { response, failed } = await callHook(`https://${BLOCKED_HOST}:${listeners.blocked.port}/cds`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { cards: [] });
    assert.equal(failed?.details.reason, 'not_allowed');
    await settle();
    assert.equal(listeners.blocked.connections(), 0);
  });

  it('calls a CDS endpoint whose private address is allow-listed', async () => {
    const { response, failed } = await callHook(`https://${ALLOWED_HOST}:${listeners.allowed.port}/cds`);
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { cards: [] });
    assert.equal(failed?.details.reason, 'unreachable', 'connected, then the TLS handshake failed');
    assert.ok(listeners.allowed.connections() > 0);
  });
});
