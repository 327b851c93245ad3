/**
 * The CDS Hooks relay over the wire: discovery, the EHR's JWT (every negative of issue 5), the
 * exact request the app's service gets, the time budget, card checks, link rewriting, feedback.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { addTrustedCdsIssuer } from '../src/cds/issuers.ts';
import { setConnection } from '../src/settings/connections.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import {
  type FakeCdsApp,
  type FakeEhr,
  PATIENT_VIEW_HOOK,
  rawJwt,
  STATIN_CARD,
  startFakeCdsApp,
  startFakeEhr,
  verifyGatewayJwt,
} from './support/cds.ts';
import { auditEvents } from './support/fhir-proxy.ts';
import { type Stack, startStack } from './support/stack.ts';

const EHR_TOKEN = 'ehr-access-token-that-must-never-leave-the-gateway';
const CDS_TIMEOUT_MS = 400;

const HOOK_REQUEST = {
  ...PATIENT_VIEW_HOOK,
  fhirServer: 'https://fhir-ehr.cerner.example/r4/tenant',
  fhirAuthorization: {
    access_token: EHR_TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'patient/Patient.read patient/Observation.read',
    subject: 'cds-client',
    patient: '12742400',
  },
};

const CARD = STATIN_CARD;

describe('CDS Hooks relay', () => {
  let stack: Stack;
  let ehr: FakeEhr;
  let cdsApp: FakeCdsApp;
  let serviceUrl: string;
  let discoveryUrl: string;

  const post = (url: string, token: string | null, body: unknown = HOOK_REQUEST) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const appRequests = (path: string) => cdsApp.requests.filter((r) => r.path === path);

  before(async () => {
    stack = await startStack({ env: { CHARTSIDE_CDS_TIMEOUT_MS: String(CDS_TIMEOUT_MS) } });
    ehr = await startFakeEhr();
    cdsApp = await startFakeCdsApp();
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { cdsEndpoint: cdsApp.endpoint });
    await addTrustedCdsIssuer(db, config, stack.orgId, {
      issuer: ehr.issuer,
      jwksUrl: ehr.jwksUrl,
      jkuAllowlist: [ehr.altJwksUrl],
    });
    discoveryUrl = `${stack.gatewayUrl}/api/cds/${stack.orgId}/cds-services`;
    serviceUrl = `${discoveryUrl}/statins`;
  });
  after(async () => {
    await stack.close();
    await ehr.close();
    await cdsApp.close();
  });
  beforeEach(() => {
    cdsApp.requests.length = 0;
    cdsApp.answer('/cds-services/statins', { body: { cards: [CARD] } });
  });

  describe('discovery', () => {
    it('serves the app’s services (invalid ones left out), asked for with our JWT, and caches them briefly', async () => {
      const good = { hook: 'patient-view', id: 'statins', title: 'Statins', description: 'Statin advice' };
      cdsApp.answer('/cds-services', {
        body: { services: [good, { hook: 'patient-view', description: 'no id' }] },
      });
      const response = await fetch(discoveryUrl);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await response.json(), { services: [good] });
      const [seen, ...more] = appRequests('/cds-services');
      assert.ok(seen);
      assert.equal(more.length, 0);
      assert.equal(seen.method, 'GET');
      const jwt = /^Bearer (.+)$/.exec(seen.headers.authorization ?? '')?.[1] ?? '';
      const { payload } = await verifyGatewayJwt(stack.gatewayUrl, jwt, `${cdsApp.endpoint}/cds-services`);
      assert.equal(payload.tenant, stack.orgId);

      const again = await fetch(discoveryUrl);
      assert.deepEqual(await again.json(), { services: [good] });
      assert.equal(appRequests('/cds-services').length, 1, 'answered from the cache');
    });

    it('answers 404 with the envelope for an org without a CDS endpoint', async () => {
      const org = await createOrganization(stack.gateway.services.db, { name: 'No CDS' });
      const response = await fetch(`${stack.gatewayUrl}/api/cds/${org.id}/cds-services`);
      assert.equal(response.status, 404);
      const body = (await response.json()) as { error: Record<string, unknown> };
      assert.equal(body.error.code, 'cds_not_configured');
      assert.equal(body.error.type, 'not_found_error');
      assert.equal(body.error.request_id, response.headers.get('x-request-id'));
    });

    it('answers 502 when the app’s discovery fails', async () => {
      const org = await createOrganization(stack.gateway.services.db, { name: 'Broken CDS' });
      const { db, sealer, config } = stack.gateway.services;
      await setConnection(db, sealer, config, org.id, 'cerner', { cdsEndpoint: `${cdsApp.origin}/broken` });
      const response = await fetch(`${stack.gatewayUrl}/api/cds/${org.id}/cds-services`);
      assert.equal(response.status, 502);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'cds_service_error');
    });
  });

  describe('the EHR’s JWT', () => {
    async function assertRefused(token: string | null, reason: RegExp) {
      const response = await post(serviceUrl, token);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'cds_unauthorized');
      assert.match(body.error.message, reason);
      assert.equal(appRequests('/cds-services/statins').length, 0, 'nothing forwarded');
    }

    it('accepts a valid JWT and forwards', async () => {
      const response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.equal(response.status, 200);
      assert.equal(appRequests('/cds-services/statins').length, 1);
    });

    it('refuses a request without a JWT', async () => {
      await assertRefused(null, /Bearer/);
    });

    it('refuses a wrong aud (another service, the discovery URL)', async () => {
      await assertRefused(await ehr.sign(`${discoveryUrl}/other`), /aud/);
      await assertRefused(await ehr.sign(discoveryUrl), /aud/);
      await assertRefused(await ehr.sign(`${serviceUrl}/`), /aud/);
    });

    it('refuses an expired JWT and one issued in the future (beyond the skew)', async () => {
      const now = Math.floor(Date.now() / 1000);
      await assertRefused(
        await ehr.sign(serviceUrl, { claims: { iat: now - 600, exp: now - 120 } }),
        /expired/,
      );
      await assertRefused(await ehr.sign(serviceUrl, { claims: { iat: now + 600, exp: now + 900 } }), /iat/);
    });

    it('refuses a JWT without jti or with a lifetime over an hour', async () => {
      const now = Math.floor(Date.now() / 1000);
      await assertRefused(await ehr.sign(serviceUrl, { claims: { jti: undefined } }), /jti/);
      await assertRefused(await ehr.sign(serviceUrl, { claims: { exp: now + 7200 } }), /exp/);
    });

    it('refuses a replayed jti, and never logs the JWT', async () => {
      const token = await ehr.sign(serviceUrl);
      assert.equal((await post(serviceUrl, token)).status, 200);
      cdsApp.requests.length = 0;
      await assertRefused(token, /jti has already been used/);
      const signature = token.split('.')[2] as string;
      assert.ok(!stack.logs.join('').includes(signature), 'the JWT is not in the logs');
    });

    it('never answers a replayed jti with success, even when it fails before the handler', async () => {
      const token = await ehr.sign(serviceUrl);
      assert.equal((await post(serviceUrl, token)).status, 200);
      cdsApp.requests.length = 0;
      // Not a hook call: the schema's answer, which the published OpenAPI document tells anyone.
      const replayed = await post(serviceUrl, token, { hook: 'patient-view' });
      assert.equal(replayed.status, 400);
      assert.equal(((await replayed.json()) as { error: { code: string } }).error.code, 'bad_request');
      await assertRefused(token, /jti has already been used/);
      assert.equal(appRequests('/cds-services/statins').length, 0);
    });

    it('refuses an unknown issuer, even with a valid signature', async () => {
      await assertRefused(await ehr.sign(serviceUrl, { claims: { iss: 'https://evil.example' } }), /iss/);
    });

    it('refuses a jku outside the allowlist without fetching it', async () => {
      const before = ehr.fetched.length;
      await assertRefused(
        await ehr.sign(serviceUrl, { key: 'hostile', header: { jku: ehr.hostileJwksUrl } }),
        /jku/,
      );
      assert.ok(!ehr.fetched.slice(before).includes('/hostile-jwk'));
    });

    it('accepts an allowlisted jku, with that key set', async () => {
      const response = await post(
        serviceUrl,
        await ehr.sign(serviceUrl, { key: 'alt', header: { jku: ehr.altJwksUrl } }),
      );
      assert.equal(response.status, 200);
      assert.ok(ehr.fetched.includes('/alt-jwk'));
    });

    it('refuses alg none and HMAC', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: ehr.issuer, aud: serviceUrl, iat: now, exp: now + 60, jti: randomUUID() };
      await assertRefused(rawJwt({ alg: 'none', typ: 'JWT' }, claims), /alg "none"/);
      await assertRefused(
        rawJwt({ alg: 'HS256', typ: 'JWT', kid: 'x' }, claims, 'c2lnbmF0dXJl'),
        /alg "HS256"/,
      );
    });

    it('refuses a bad signature', async () => {
      await assertRefused(await ehr.sign(serviceUrl, { forge: true }), /signature/);
    });

    it('refuses an unknown kid', async () => {
      await assertRefused(await ehr.sign(serviceUrl, { key: 'hostile' }), /kid/);
    });

    it('refuses a trusted issuer of another org', async () => {
      const other = await createOrganization(stack.gateway.services.db, { name: 'Other' });
      const { db, sealer, config } = stack.gateway.services;
      await setConnection(db, sealer, config, other.id, 'cerner', { cdsEndpoint: cdsApp.endpoint });
      const otherUrl = `${stack.gatewayUrl}/api/cds/${other.id}/cds-services/statins`;
      const response = await post(otherUrl, await ehr.sign(otherUrl));
      assert.equal(response.status, 401);
      assert.equal(appRequests('/cds-services/statins').length, 0);
    });
  });

  describe('forwarding', () => {
    it('sends the app exactly the hook, with our JWT and without the EHR’s token or FHIR server', async () => {
      const response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.deepEqual(await response.json(), { cards: [CARD] });

      const [seen, ...more] = appRequests('/cds-services/statins');
      assert.ok(seen);
      assert.equal(more.length, 0);
      assert.equal(seen.method, 'POST');
      assert.equal(seen.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(seen.body), {
        hook: HOOK_REQUEST.hook,
        hookInstance: HOOK_REQUEST.hookInstance,
        context: HOOK_REQUEST.context,
        prefetch: HOOK_REQUEST.prefetch,
      });
      assert.ok(!JSON.stringify(seen).includes(EHR_TOKEN), 'the EHR’s token is not forwarded');

      const jwt = /^Bearer (.+)$/.exec(seen.headers.authorization ?? '')?.[1] ?? '';
      const { payload, protectedHeader } = await verifyGatewayJwt(
        stack.gatewayUrl,
        jwt,
        `${cdsApp.endpoint}/cds-services/statins`,
      );
      assert.equal(protectedHeader.jku, `${stack.gatewayUrl}/api/auth/.well-known/jwks`);
      assert.equal(protectedHeader.typ, 'JWT');
      assert.equal(typeof payload.jti, 'string');
      assert.ok((payload.exp as number) - (payload.iat as number) <= 300);
      assert.ok((payload.exp as number) > Date.now() / 1000);
    });

    it('answers {"cards": []} within the time budget when the app is slow, and audits it', async () => {
      cdsApp.answer('/cds-services/statins', { body: { cards: [CARD] }, delayMs: CDS_TIMEOUT_MS * 3 });
      const started = Date.now();
      const response = await post(serviceUrl, await ehr.sign(serviceUrl));
      const elapsed = Date.now() - started;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { cards: [] });
      assert.ok(elapsed < CDS_TIMEOUT_MS * 2, `answered after ${elapsed} ms`);
      const audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.service_failed' })).at(-1);
      assert.equal(audit?.details.reason, 'timeout');
      assert.equal(audit?.request_id, response.headers.get('x-request-id'));
    });

    it('answers {"cards": []} when the app errors or answers garbage, and audits it', async () => {
      cdsApp.answer('/cds-services/statins', { status: 500, body: { cards: [CARD] } });
      let response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.deepEqual(await response.json(), { cards: [] });
      let audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.service_failed' })).at(-1);
      assert.deepEqual(audit?.details, {
        service: 'statins',
        hook: 'patient-view',
        reason: 'status',
        status: 500,
      });

      cdsApp.answer('/cds-services/statins', { text: 'not json' });
      response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.deepEqual(await response.json(), { cards: [] });
      audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.service_failed' })).at(-1);
      assert.equal(audit?.details.reason, 'bad_json');

      cdsApp.answer('/cds-services/statins', { body: { notCards: true } });
      response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.deepEqual(await response.json(), { cards: [] });
      audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.service_failed' })).at(-1);
      assert.equal(audit?.details.reason, 'malformed');
    });

    it('refuses a request that is not a hook call with 400, forwarding nothing', async () => {
      const response = await post(serviceUrl, await ehr.sign(serviceUrl), {
        hook: 'patient-view',
        context: {},
      });
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: { param: string } }).error.param, 'hookInstance');
      assert.equal(appRequests('/cds-services/statins').length, 0);
    });
  });

  describe('cards', () => {
    it('drops invalid cards with an audit note and keeps valid ones', async () => {
      const invalid = [
        { ...CARD, indicator: 'urgent' },
        { ...CARD, summary: 'x'.repeat(141) },
        { indicator: 'info', source: { label: 'No summary' } },
        { ...CARD, source: {} },
        { ...CARD, suggestions: [{ label: 'Do it' }] },
        { ...CARD, links: [{ label: 'x', url: 'not a url', type: 'absolute' }] },
        { ...CARD, links: [{ label: 'x', url: 'https://a.example', type: 'absolute', appContext: 'c' }] },
        { ...CARD, overrideReasons: [{ code: 'x' }] },
      ];
      const withSuggestion = {
        ...CARD,
        uuid: 'card-2',
        selectionBehavior: 'at-most-one',
        suggestions: [
          {
            label: 'Order',
            actions: [
              { type: 'create', description: 'Order it', resource: { resourceType: 'ServiceRequest' } },
            ],
          },
        ],
      };
      cdsApp.answer('/cds-services/statins', { body: { cards: [CARD, ...invalid, withSuggestion] } });
      const before = (await auditEvents(stack.gateway.services.db, { action: 'cds.card_dropped' })).length;
      const response = await post(serviceUrl, await ehr.sign(serviceUrl));
      assert.deepEqual(await response.json(), { cards: [CARD, withSuggestion] });
      const dropped = (await auditEvents(stack.gateway.services.db, { action: 'cds.card_dropped' })).slice(
        before,
      );
      assert.deepEqual(
        dropped.map((event) => event.details.index),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.match(String(dropped[0]?.details.reason), /indicator/);
    });

    it('rewrites SMART links to the app so they launch through Chartside; other links are kept', async () => {
      const card = {
        ...CARD,
        links: [
          { label: 'Open app', url: `${cdsApp.origin}/launch`, type: 'smart', appContext: 'ctx' },
          { label: 'Other app', url: 'https://other.example/launch', type: 'smart' },
          { label: 'Guideline', url: `${cdsApp.origin}/guideline`, type: 'absolute' },
        ],
      };
      cdsApp.answer('/cds-services/statins', { body: { cards: [card] } });
      const response = await post(serviceUrl, await ehr.sign(serviceUrl));
      const body = (await response.json()) as { cards: Array<{ links: Array<{ url: string }> }> };
      assert.deepEqual(
        body.cards[0]?.links.map((link) => link.url),
        [
          `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}`,
          'https://other.example/launch',
          `${cdsApp.origin}/guideline`,
        ],
      );
    });
  });

  describe('feedback', () => {
    it('relays feedback to the app with our JWT (aud = the app’s feedback URL)', async () => {
      cdsApp.answer('/cds-services/statins/feedback', { body: {} });
      const feedbackUrl = `${serviceUrl}/feedback`;
      const feedback = [
        {
          card: 'card-1',
          outcome: 'accepted',
          acceptedSuggestions: [{ id: 's1' }],
          outcomeTimestamp: '2026-01-01T00:00:00Z',
        },
      ];
      const refused = await post(feedbackUrl, await ehr.sign(serviceUrl), { feedback });
      assert.equal(refused.status, 401, 'the invocation URL is not the feedback URL');
      const token = await ehr.sign(feedbackUrl);
      const response = await post(feedbackUrl, token, { feedback });
      assert.equal(response.status, 200);
      const replayed = await post(feedbackUrl, token, { feedback });
      assert.equal(replayed.status, 401, 'a replayed feedback JWT is refused');
      assert.match(((await replayed.json()) as { error: { message: string } }).error.message, /jti/);
      assert.equal(appRequests('/cds-services/statins/feedback').length, 1, 'and not relayed');
      const [seen] = appRequests('/cds-services/statins/feedback');
      assert.deepEqual(JSON.parse(seen?.body ?? 'null'), { feedback });
      const jwt = /^Bearer (.+)$/.exec(seen?.headers.authorization ?? '')?.[1] ?? '';
      await verifyGatewayJwt(stack.gatewayUrl, jwt, `${cdsApp.endpoint}/cds-services/statins/feedback`);
    });

    it('answers 502 and audits when the app refuses feedback', async () => {
      cdsApp.answer('/cds-services/statins/feedback', { status: 500 });
      const feedbackUrl = `${serviceUrl}/feedback`;
      const response = await post(feedbackUrl, await ehr.sign(feedbackUrl), { feedback: [] });
      assert.equal(response.status, 502);
      const audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.feedback_failed' })).at(-1);
      assert.equal(audit?.details.status, 500);
    });
  });
});
