/**
 * The FHIR token a CDS service gets from the relay: what it is forwarded as, and what it may do
 * at `/fhir/cds-<id>/…` against the local Cerner sandbox (its patient, its read scopes, nothing
 * else), while the EHR's token never reaches the app.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Bundle, OperationOutcome } from 'fhir/r4.js';
import { addTrustedCdsIssuer } from '../src/cds/issuers.ts';
import { tokenContext } from '../src/launch/ehr-launches.ts';
import { setConnection } from '../src/settings/connections.ts';
import { type FakeCdsApp, type FakeEhr, startFakeCdsApp, startFakeEhr } from './support/cds.ts';
import { auditEvents, waitForAudit } from './support/fhir-proxy.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { type Stack, startStack } from './support/stack.ts';

const TIM = { patient: '12742400', encounter: '97953530' };
const OTHER_PATIENT = '12724066';

describe('the CDS FHIR token', () => {
  let stack: Stack;
  let ehr: FakeEhr;
  let cdsApp: FakeCdsApp;
  let serviceUrl: string;
  let launchId: string;
  let ehrToken: string;
  let fhirServer: string;
  let fhirAuthorization: Record<string, unknown>;

  const hookRequest = (overrides: Record<string, unknown> = {}) => ({
    hook: 'patient-view',
    hookInstance: '7a1e1c2e-0e0b-4f0e-9d9f-5a4c1b2d3e4f',
    fhirServer: stack.sandbox.fhirBaseUrl,
    fhirAuthorization: {
      access_token: ehrToken,
      token_type: 'Bearer',
      expires_in: 570,
      scope: 'user/Patient.read user/Observation.read',
      subject: 'cds-client-at-ehr',
      patient: TIM.patient,
    },
    context: { userId: 'Practitioner/1', patientId: TIM.patient },
    ...overrides,
  });
  const callHook = async (body: unknown) =>
    fetch(serviceUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await ehr.sign(serviceUrl)}` },
      body: JSON.stringify(body),
    });
  const lastForwarded = () => {
    const seen = cdsApp.requests.filter((r) => r.path === '/cds-services/statins').at(-1);
    assert.ok(seen);
    return { raw: seen, body: JSON.parse(seen.body) as Record<string, unknown> };
  };
  const read = (path: string, init: RequestInit = {}, token = fhirAuthorization.access_token as string) =>
    fetch(`${fhirServer}/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });
  async function assertNotAllowed(response: Response) {
    assert.equal(response.status, 403);
    const outcome = (await response.json()) as OperationOutcome;
    assert.equal(outcome.issue[0]?.details?.coding?.[0]?.code, 'cds_fhir_not_allowed');
  }

  before(async () => {
    stack = await startStack({});
    ehr = await startFakeEhr();
    cdsApp = await startFakeCdsApp();
    cdsApp.answer('/cds-services/statins', { body: { cards: [] } });
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { cdsEndpoint: cdsApp.endpoint });
    await addTrustedCdsIssuer(db, config, stack.orgId, { issuer: ehr.issuer, jwksUrl: ehr.jwksUrl });
    serviceUrl = `${stack.gatewayUrl}/api/cds/${stack.orgId}/cds-services/statins`;
    // A real sandbox access token stands in for the one the EHR puts in fhirAuthorization.
    launchId = launchIdFrom((await driveLaunch(stack, TIM)).callbackResponse);
    const row = await db
      .selectFrom('ehr_launch')
      .selectAll()
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    ehrToken = sealer.open(row.access_token as string, tokenContext(launchId, 'access_token'));

    const response = await callHook(hookRequest());
    assert.equal(response.status, 200);
    const { body } = lastForwarded();
    fhirServer = body.fhirServer as string;
    fhirAuthorization = body.fhirAuthorization as Record<string, unknown>;
  });
  after(async () => {
    await stack.close();
    await ehr.close();
    await cdsApp.close();
  });

  it('is forwarded instead of the EHR’s token, for the hook’s patient and the read scopes both sides grant', () => {
    const { raw } = lastForwarded();
    assert.match(fhirServer, new RegExp(`^${stack.gatewayUrl}/fhir/cds-[0-9a-f-]{36}$`));
    assert.deepEqual(Object.keys(fhirAuthorization).sort(), [
      'access_token',
      'expires_in',
      'patient',
      'scope',
      'subject',
      'token_type',
    ]);
    assert.equal(fhirAuthorization.token_type, 'Bearer');
    assert.equal(fhirAuthorization.patient, TIM.patient);
    assert.equal(fhirAuthorization.subject, 'cds-client-at-ehr');
    assert.equal(fhirAuthorization.scope, 'patient/Patient.read patient/Observation.read');
    assert.equal(fhirAuthorization.expires_in, 300);
    assert.ok(!JSON.stringify(raw).includes(ehrToken), 'the EHR’s token is not in the forwarded request');
  });

  it('reads the hook’s Patient and searches its Observations, with links under the relay base', async () => {
    const patient = await read(`Patient/${TIM.patient}`);
    assert.equal(patient.status, 200);
    assert.equal(((await patient.json()) as { id: string }).id, TIM.patient);
    const search = await read(`Observation?patient=${TIM.patient}`);
    assert.equal(search.status, 200);
    const bundle = (await search.json()) as Bundle;
    assert.equal(bundle.resourceType, 'Bundle');
    assert.ok(bundle.link?.every((link) => link.url.startsWith(`${fhirServer}/`)));
    const audit = (await waitForAudit(stack.gateway.services.db, { action: 'fhir.request' }, 2)).filter(
      (event) => event.actor.startsWith('cds_token:'),
    );
    assert.deepEqual(
      audit.map((event) => [event.details.resource_type, event.details.status]),
      [
        ['Patient', 200],
        ['Observation', 200],
      ],
    );
  });

  it('refuses another patient', async () => {
    await assertNotAllowed(await read(`Patient/${OTHER_PATIENT}`));
    await assertNotAllowed(await read(`Observation?patient=${OTHER_PATIENT}`));
    await assertNotAllowed(await read(`Observation?patient=${TIM.patient},${OTHER_PATIENT}`));
    await assertNotAllowed(await read(`Patient?_id=${OTHER_PATIENT}`));
    await assertNotAllowed(await read('Observation'));
  });

  it('refuses another resource type, includes and chains', async () => {
    await assertNotAllowed(await read(`Encounter?patient=${TIM.patient}`));
    await assertNotAllowed(await read(`Observation?patient=${TIM.patient}&_revinclude=Provenance:target`));
    await assertNotAllowed(await read(`Observation?patient.name=Tim`));
    await assertNotAllowed(await read(`Observation/123`));
  });

  it('refuses writes', async () => {
    const body = JSON.stringify({ resourceType: 'Observation', status: 'final' });
    const headers = { 'content-type': 'application/fhir+json' };
    await assertNotAllowed(await read('Observation', { method: 'POST', body, headers }));
    await assertNotAllowed(await read(`Patient/${TIM.patient}`, { method: 'PUT', body, headers }));
    await assertNotAllowed(await read(`Patient/${TIM.patient}`, { method: 'DELETE' }));
  });

  it('works only at its own base, and only with itself', async () => {
    const token = fhirAuthorization.access_token as string;
    const elsewhere = await fetch(
      `${stack.gatewayUrl}/fhir/cds-00000000-0000-4000-8000-000000000000/Patient/${TIM.patient}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(elsewhere.status, 401);
    const onLaunch = await fetch(`${stack.gatewayUrl}/fhir/${launchId}/Patient/${TIM.patient}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(onLaunch.status, 401, 'not an API key for a launch');
    const withApiKey = await read(`Patient/${TIM.patient}`, {}, stack.apiKey);
    assert.equal(withApiKey.status, 401);
    const outcome = (await withApiKey.json()) as OperationOutcome;
    assert.equal(outcome.issue[0]?.details?.coding?.[0]?.code, 'invalid_cds_token');
    const tampered = `${token.slice(0, -4)}AAAA`;
    assert.equal((await read(`Patient/${TIM.patient}`, {}, tampered)).status, 401);
  });

  it('lives no longer than the EHR’s token', async () => {
    await callHook(
      hookRequest({ fhirAuthorization: { ...hookRequest().fhirAuthorization, expires_in: 30 } }),
    );
    assert.equal((lastForwarded().body.fhirAuthorization as { expires_in: number }).expires_in, 30);
  });

  it('is withheld (and audited) for a FHIR server that is not a registered source', async () => {
    await callHook(hookRequest({ fhirServer: 'https://fhir.elsewhere.example/r4' }));
    const { body, raw } = lastForwarded();
    assert.equal(body.fhirServer, undefined);
    assert.equal(body.fhirAuthorization, undefined);
    assert.ok(!JSON.stringify(raw).includes(ehrToken));
    const audit = (await auditEvents(stack.gateway.services.db, { action: 'cds.fhir_access_withheld' })).at(
      -1,
    );
    assert.equal(audit?.details.reason, 'fhirServer is not a registered FHIR source');
  });
});
