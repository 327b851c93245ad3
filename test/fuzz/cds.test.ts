/**
 * Fuzzing the CDS Hooks relay: discovery for random orgs, and hook and feedback calls with
 * random bodies (JSON and not), content types, service ids and `Authorization` values: none,
 * junk, structurally valid JWTs that are wrong (unsigned, HMAC, foreign key, forged kid, wrong
 * aud or iss, expired, hostile jku) and valid ones. The relay answers the checked cards (only to
 * a valid JWT) or the CDS error envelope; nothing reaches the app's service unless the JWT was
 * valid; a 502 only when the app's service is the cause.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { cdsHooksUrl } from '../../src/cds/inbound-jwt.ts';
import { addTrustedCdsIssuer } from '../../src/cds/issuers.ts';
import { setConnection } from '../../src/settings/connections.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import {
  type FakeCdsApp,
  type FakeEhr,
  PATIENT_VIEW_HOOK,
  rawJwt,
  STATIN_CARD,
  startFakeCdsApp,
  startFakeEhr,
} from '../support/cds.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { asHeaderValue, hostileText, looselyEncoded } from './inputs.ts';
import { assertCdsError, assertNoLeak, assertStatusAllowed, requestIdOf } from './oracles.ts';
import { CaseCounter, params, report } from './settings.ts';
import { type Answer, inject, sendRaw } from './wire.ts';

const HOOK = PATIENT_VIEW_HOOK;
const CARD = STATIN_CARD;

/** How the JWT of a case is made: only `valid` may pass. */
type JwtKind =
  | 'valid'
  | 'none'
  | 'junk'
  | 'random-structure'
  | 'alg-none'
  | 'hs256'
  | 'foreign-key'
  | 'forged-kid'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'expired'
  | 'hostile-jku'
  | 'no-jti';

describe('fuzz: CDS Hooks relay', () => {
  let stack: Stack;
  let ehr: FakeEhr;
  let cdsApp: FakeCdsApp;
  let bareOrgId: string;
  const counter = new CaseCounter();

  before(async () => {
    stack = await startStack({ env: { CHARTSIDE_CDS_TIMEOUT_MS: '2000' } });
    ehr = await startFakeEhr();
    cdsApp = await startFakeCdsApp();
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { cdsEndpoint: cdsApp.endpoint });
    await addTrustedCdsIssuer(db, config, stack.orgId, { issuer: ehr.issuer, jwksUrl: ehr.jwksUrl });
    bareOrgId = (await createOrganization(db, { name: 'No CDS' })).id;
    cdsApp.answer('/cds-services', {
      body: { services: [{ hook: 'patient-view', id: 'statins', description: 'Statin advice' }] },
    });
    cdsApp.answer('/cds-services/statins', { body: { cards: [CARD] } });
    cdsApp.answer('/cds-services/statins/feedback', { body: {} });
  });
  after(async () => {
    await stack.close();
    await ehr.close();
    await cdsApp.close();
  });

  async function jwtFor(kind: JwtKind, aud: string, junk: string): Promise<string | undefined> {
    const now = Math.floor(Date.now() / 1000);
    switch (kind) {
      case 'valid':
        return ehr.sign(aud);
      case 'none':
        return undefined;
      case 'junk':
        return junk;
      case 'random-structure':
        return rawJwt({ alg: junk, kid: junk }, { iss: junk, aud: junk, exp: junk }, junk);
      case 'alg-none':
        return rawJwt(
          { alg: 'none', typ: 'JWT' },
          { iss: ehr.issuer, aud, iat: now, exp: now + 300, jti: junk },
        );
      case 'hs256':
        return rawJwt(
          { alg: 'HS256' },
          { iss: ehr.issuer, aud, iat: now, exp: now + 300, jti: junk },
          'c2ln',
        );
      case 'foreign-key':
        return ehr.sign(aud, { key: 'hostile' });
      case 'forged-kid':
        return ehr.sign(aud, { forge: true });
      case 'wrong-aud':
        return ehr.sign(`${aud}${junk || '/'}`);
      case 'wrong-iss':
        return ehr.sign(aud, { claims: { iss: `${ehr.issuer}${junk || '.evil'}` } });
      case 'expired':
        return ehr.sign(aud, { claims: { iat: now - 4000, exp: now - 3000 } });
      case 'hostile-jku':
        return ehr.sign(aud, { header: { jku: ehr.hostileJwksUrl }, key: 'hostile' });
      case 'no-jti':
        return ehr.sign(aud, { claims: { jti: undefined } });
    }
  }

  const jwtKind = fc.constantFrom<JwtKind>(
    ...(Array(8).fill('valid') as JwtKind[]),
    'none',
    'junk',
    'random-structure',
    'alg-none',
    'hs256',
    'foreign-key',
    'forged-kid',
    'wrong-aud',
    'wrong-iss',
    'expired',
    'hostile-jku',
    'no-jti',
  );
  const hookBody = fc.oneof(
    { weight: 3, arbitrary: fc.constant(JSON.stringify(HOOK)) },
    {
      weight: 2,
      arbitrary: fc
        .record(
          {
            hook: fc.oneof(fc.constant('patient-view'), fc.jsonValue()),
            hookInstance: fc.jsonValue(),
            context: fc.jsonValue(),
            prefetch: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((body) => JSON.stringify(body)),
    },
    { weight: 1, arbitrary: fc.json() },
    { weight: 1, arbitrary: hostileText },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify({ feedback: [v] })) },
  );

  function checkError(answer: Answer, where: string) {
    const code = assertCdsError(answer, where);
    assertStatusAllowed(answer, code, where);
    return code;
  }

  it('discovery answers any org with the app’s services or the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('ORG'), fc.constant('BARE'), hostileText),
        fc.option(hostileText),
        async (org, authorization) => {
          counter.count('discovery');
          const orgId = org === 'ORG' ? stack.orgId : org === 'BARE' ? bareOrgId : org;
          const answer = await inject(stack.gateway, {
            method: 'GET',
            url: `/api/cds/${encodeURIComponent(orgId)}/cds-services`,
            headers: authorization === null ? {} : { authorization: asHeaderValue(authorization) },
          });
          counter.saw('discovery', answer.status);
          const where = `GET discovery ${JSON.stringify(orgId).slice(0, 200)}`;
          assertNoLeak(answer.body, where);
          requestIdOf(answer, where);
          if (org === 'ORG') {
            assert.equal(answer.status, 200, where);
            assert.deepEqual(
              JSON.parse(answer.body).services.map((s: { id: string }) => s.id),
              ['statins'],
            );
          } else {
            const code = checkError(answer, where);
            assert.ok(
              ['cds_not_configured', 'route_not_found', 'bad_request'].includes(code),
              `${where}: ${code}`,
            );
          }
        },
      ),
      params(60),
    );
  });

  it('hook and feedback calls: cards only for a valid JWT, the envelope otherwise, nothing forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: fc.constant('statins') }, { weight: 1, arbitrary: hostileText }),
        fc.boolean(),
        jwtKind,
        fc.string({ maxLength: 12 }),
        hookBody,
        fc.constantFrom(
          'application/json',
          'application/json',
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
        ),
        async (serviceId, feedback, kind, junk, body, contentType) => {
          const label = feedback ? 'feedback' : 'hook';
          counter.count(label);
          const aud = feedback
            ? cdsHooksUrl(stack.gateway.services.config, stack.orgId, serviceId, 'feedback')
            : cdsHooksUrl(stack.gateway.services.config, stack.orgId, serviceId);
          const token = await jwtFor(kind, aud, junk);
          const headers: Record<string, string> = { 'content-type': contentType };
          if (token !== undefined) headers.authorization = asHeaderValue(`Bearer ${token}`);
          const appCallsBefore = cdsApp.requests.length;
          const answer = await inject(stack.gateway, {
            method: 'POST',
            url: aud.slice(stack.gatewayUrl.length),
            headers,
            body,
          });
          counter.saw(label, answer.status);
          const where = `POST ${label} ${kind} ${JSON.stringify({ serviceId, contentType, body }).slice(0, 400)}`;
          assertNoLeak(answer.body, where);
          requestIdOf(answer, where);
          const forwarded = cdsApp.requests.length - appCallsBefore;
          if (kind !== 'valid') {
            assert.equal(forwarded, 0, `${where}: forwarded to the app`);
            const code = checkError(answer, where);
            if (answer.status === 401) assert.equal(code, 'cds_unauthorized', where);
            return;
          }
          if (answer.status !== 200) {
            assert.equal(forwarded, answer.status === 502 ? 1 : 0, `${where}: app calls`);
            checkError(answer, where);
            return;
          }
          assert.equal(forwarded, 1, `${where}: app calls`);
          if (!feedback) assert.ok(Array.isArray(JSON.parse(answer.body).cards), `${where}: cards`);
        },
      ),
      params(150),
    );
  });

  it('the raw wire: unencoded ids, repeated and oversized Authorization headers', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        hostileText,
        fc.array(
          fc.oneof(
            hostileText.map((v) => `Bearer ${v}`),
            fc.integer({ min: 1000, max: 20_000 }).map((n) => `Bearer ${'e'.repeat(n)}.e.e`),
          ),
          { maxLength: 3 },
        ),
        async (serviceId, authorizations) => {
          counter.count('raw wire');
          const appCallsBefore = cdsApp.requests.length;
          const target = `/api/cds/${stack.orgId}/cds-services/${looselyEncoded(serviceId)}`;
          const answer = await sendRaw(stack.gatewayUrl, {
            method: 'POST',
            target,
            headers: [
              ['content-type', 'application/json'],
              ...authorizations.map((value) => ['authorization', asHeaderValue(value)] as [string, string]),
            ],
            body: Buffer.from(JSON.stringify(HOOK)),
          });
          counter.saw('raw wire', answer.status);
          const where = `raw POST ${target.slice(0, 200)}`;
          assertNoLeak(answer.body, where);
          assert.equal(cdsApp.requests.length, appCallsBefore, `${where}: forwarded to the app`);
          checkError(answer, where);
        },
      ),
      params(80),
    );
    report(t, counter, 'CDS Hooks');
  });
});
