/**
 * The client against a real gateway and the local Cerner sandbox (the repository's test stack):
 * it resolves a real launch, reads Wilma, pages a search through the gateway's next links,
 * surfaces Chartside's and the EHR's error codes, ends the launch, and verifies a real webhook.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { addWebhookEndpoint } from '../../../src/webhooks/endpoints.ts';
import { sandboxCounts } from '../../../test/support/fhir-proxy.ts';
import { driveLaunch, launchIdFrom } from '../../../test/support/launch-driver.ts';
import { clearRecordedRequests } from '../../../test/support/sandbox-controls.ts';
import { type Stack, startStack } from '../../../test/support/stack.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import {
  Chartside,
  ChartsideApiError,
  referenceId,
  verifyWebhook,
  WebhookVerificationError,
} from '../src/index.ts';

const WILMA = { patient: '12724065', encounter: '97953483' };

describe('@chartside/client against a gateway and the sandbox', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  let secret: string;
  let client: Chartside;
  let launchId: string;

  before(async () => {
    stack = await startStack({ env: { CHARTSIDE_WEBHOOK_POLL_MS: '25' } });
    receiver = await startWebhookReceiver();
    ({ secret } = await addWebhookEndpoint(stack.gateway.services, stack.orgId, {
      url: receiver.url,
      actor: 'test',
    }));
    client = new Chartside({ apiKey: stack.apiKey, baseUrl: stack.gatewayUrl });
    launchId = launchIdFrom((await driveLaunch(stack, WILMA)).callbackResponse);
  });
  after(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it('resolves a real launch and reads its patient and encounter', async () => {
    const context = await client.getLaunchContext(launchId);
    assert.equal(context.id, launchId);
    assert.equal(context.status, 'ready');
    assert.equal(context.patient, `Patient/${WILMA.patient}`);
    assert.equal(context.encounter, `Encounter/${WILMA.encounter}`);
    assert.equal(context.fhir_user, 'Practitioner/12742069');
    assert.equal(context.environment, 'sandbox');

    const fhir = client.fhir(launchId);
    const patient = await fhir.read('Patient', referenceId(context.patient) as string);
    assert.equal(patient.resourceType, 'Patient');
    assert.equal(patient.name?.[0]?.given?.[0], 'Wilma');
    const encounter = await fhir.read('Encounter', referenceId(context.encounter) as string);
    assert.equal(encounter.id, WILMA.encounter);
  });

  it('pages a search through the gateway’s next links: every match once, on several pages', async () => {
    const fhir = client.fhir(launchId);
    const params = { patient: WILMA.patient, category: 'vital-signs' };
    const onePage = await fhir.search('Observation', { ...params, _count: 200 });
    const total = onePage.entry?.length ?? 0;
    assert.ok(total > 3, `Wilma has ${total} vital signs`);

    await clearRecordedRequests(stack.sandbox);
    const ids: string[] = [];
    for await (const observation of fhir.searchAll('Observation', { ...params, _count: 3 })) {
      assert.equal(observation.resourceType, 'Observation');
      ids.push(observation.id as string);
    }
    assert.equal(ids.length, total);
    assert.equal(new Set(ids).size, total);
    assert.equal((await sandboxCounts(stack.sandbox)).fhir, Math.ceil(total / 3), 'one EHR request a page');

    const first = await fhir.search('Observation', { ...params, _count: 3 });
    const next = first.link?.find((link) => link.relation === 'next')?.url as string;
    assert.ok(next.startsWith(`${stack.gatewayUrl}/fhir/${launchId}/`), next);
  });

  it('surfaces a missing launch as 404 resource_not_found, with the request id', async () => {
    const error = await client.getLaunchContext(randomUUID()).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'resource_not_found');
    assert.equal(error.type, 'not_found_error');
    assert.equal(error.param, 'id');
    assert.match(error.requestId as string, /^[0-9a-f-]{36}$/);
  });

  it('surfaces a FHIR path refusal (our OperationOutcome) and an EHR error (its own)', async () => {
    const fhir = client.fhir(launchId);
    const refused = await fhir.read('Patient', 'not an id').catch((thrown: unknown) => thrown);
    assert.ok(refused instanceof ChartsideApiError);
    assert.equal(refused.status, 400);
    assert.equal(refused.code, 'fhir_path_not_allowed');
    assert.equal(refused.type, 'invalid_request_error');
    assert.match(refused.requestId as string, /^[0-9a-f-]{36}$/);
    assert.equal(refused.outcome?.resourceType, 'OperationOutcome');

    const missing = await fhir.read('Patient', '99999999').catch((thrown: unknown) => thrown);
    assert.ok(missing instanceof ChartsideApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'fhir_error');
    assert.match(missing.message, /not found/);

    // The sandbox is read-only: a write reaches it and comes back as its 405.
    const write = await fhir
      .create({ resourceType: 'Observation', status: 'final', code: { text: 'note' } })
      .catch((thrown: unknown) => thrown);
    assert.ok(write instanceof ChartsideApiError);
    assert.equal(write.status, 405);
    assert.equal(write.outcome?.issue[0]?.code, 'not-supported');
  });

  it('verifies the launch.ready webhook the gateway really sent, and refuses it altered', async () => {
    const [hook] = await receiver.waitFor(1, (received) => received.body.includes(launchId));
    assert.ok(hook);
    const event = verifyWebhook(hook.headers, hook.body, secret);
    assert.equal(event.type, 'launch.ready');
    assert.equal(event.data.launch_id, launchId);
    assert.equal(event.data.org_id, stack.orgId);
    assert.throws(
      () => verifyWebhook(hook.headers, hook.body.replace('ready', 'ended'), secret),
      (error) => error instanceof WebhookVerificationError && error.reason === 'invalid_signature',
    );
  });

  it('ends the launch: then FHIR answers token_unavailable and a webhook says launch.ended', async () => {
    const id = launchIdFrom((await driveLaunch(stack, WILMA)).callbackResponse);
    const ended = await client.endLaunch(id);
    assert.equal(ended.status, 'ended');
    assert.deepEqual(await client.endLaunch(id), ended);
    assert.equal((await client.getLaunchContext(id)).status, 'ended');
    const error = await client
      .fhir(id)
      .read('Patient', WILMA.patient)
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.deepEqual([error.status, error.code, error.type], [502, 'token_unavailable', 'ehr_error']);

    const [hook] = await receiver.waitFor(
      1,
      (received) => received.body.includes(id) && received.body.includes('launch.ended'),
    );
    const event = verifyWebhook(hook?.headers ?? {}, hook?.body ?? '', secret);
    assert.deepEqual(event.data, {
      launch_id: id,
      org_id: stack.orgId,
      environment: 'sandbox',
      status: 'ended',
      reason: 'ended_by_app',
    });
  });
});
