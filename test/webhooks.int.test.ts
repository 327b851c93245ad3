/**
 * Webhooks over the wire, on SQLite and PostgreSQL: a real sandbox launch makes the gateway POST
 * `launch.ready` (and a refused one `launch.failed` with its code) to a local endpoint, signed the
 * Standard Webhooks way (checked here from the spec, not with the gateway's code); failures are
 * tried again with growing delays under the same webhook-id until they run out; the console
 * lists deliveries and Redeliver sends one again; another organization sees none of it.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createOperator } from '../src/admin/operators.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import { ConsoleClient, csrfTokenOf, PASSWORD } from './support/admin-console.ts';
import type { TestEngine } from './support/databases.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { setFaults } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';
import {
  type ReceivedWebhook,
  signatureIsValid,
  startWebhookReceiver,
  type WebhookReceiver,
} from './support/webhook-receiver.ts';

const RETRY_BASE_MS = 200;

for (const engine of ['sqlite', 'postgres'] as TestEngine[]) {
  describe(`webhooks (${engine})`, () => {
    let stack: Stack;
    let receiver: WebhookReceiver;
    let endpoint: { id: string; secret: string };

    before(async () => {
      stack = await startStack({
        engine,
        appLaunchUrl: 'https://app.example.org/launch',
        env: {
          CHARTSIDE_WEBHOOK_POLL_MS: '25',
          CHARTSIDE_WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
          CHARTSIDE_WEBHOOK_MAX_ATTEMPTS: '3',
          CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
        },
      });
      receiver = await startWebhookReceiver();
      endpoint = await addWebhookEndpoint(stack.gateway.services, stack.orgId, {
        url: receiver.url,
        actor: 'test',
      });
    });
    after(async () => {
      await stack.close();
      await receiver.close();
    });
    beforeEach(async () => {
      receiver.answer = () => 204;
      receiver.received.length = 0;
      await setFaults(stack.sandbox, { authorize: null });
    });

    const ofLaunch = (launchId: string) => (hook: ReceivedWebhook) =>
      JSON.parse(hook.body).data.launch_id === launchId;

    it('a launch that ends ready is POSTed as launch.ready, signed, with ids only', async () => {
      const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
      const [hook] = await receiver.waitFor(1, ofLaunch(launchId));
      assert.ok(hook);
      assert.equal(hook.headers['content-type'], 'application/json');
      assert.match(String(hook.headers['webhook-id']), /^msg_[0-9A-Za-z]{22}$/);
      assert.ok(Math.abs(Number(hook.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
      assert.ok(signatureIsValid(endpoint.secret, hook), 'the signature verifies with the whsec_ secret');
      assert.ok(!signatureIsValid(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, hook));
      const body = JSON.parse(hook.body);
      assert.deepEqual(Object.keys(body).sort(), ['data', 'timestamp', 'type']);
      assert.equal(body.type, 'launch.ready');
      assert.ok(Date.parse(body.timestamp) <= Date.now());
      // Never a token, a patient or an encounter: the app resolves the launch with its API key.
      assert.deepEqual(body.data, {
        launch_id: launchId,
        org_id: stack.orgId,
        environment: 'sandbox',
        status: 'ready',
      });
      assert.doesNotMatch(hook.body, /12724066|Patient|token/i);
    });

    it('a launch the EHR refuses is POSTed as launch.failed with the error code', async () => {
      await setFaults(stack.sandbox, { authorize: 'deny' });
      const { callbackResponse } = await driveLaunch(stack);
      assert.equal(callbackResponse.status, 502);
      const [hook] = await receiver.waitFor(1, (h) => JSON.parse(h.body).type === 'launch.failed');
      assert.ok(hook && signatureIsValid(endpoint.secret, hook));
      const { data } = JSON.parse(hook.body);
      assert.equal(data.status, 'failed');
      assert.equal(data.code, 'oauth_error');
      assert.equal(data.org_id, stack.orgId);
    });

    it('a failing endpoint gets the same webhook-id again after growing delays, until it answers 2xx', async () => {
      receiver.answer = (n) => (n < 2 ? 500 : 200);
      const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
      const hooks = await receiver.waitFor(3, ofLaunch(launchId));
      assert.equal(
        new Set(hooks.map((h) => h.headers['webhook-id'])).size,
        1,
        'one webhook-id for every retry',
      );
      assert.equal(new Set(hooks.map((h) => h.body)).size, 1, 'the same body every time');
      assert.ok(
        hooks.every((h) => signatureIsValid(endpoint.secret, h)),
        'each attempt signed anew',
      );
      const [a, b, c] = hooks.map((h) => h.at) as [number, number, number];
      // Equal jitter: at least half of base × 2^(n-1) after attempt n.
      assert.ok(b - a >= RETRY_BASE_MS / 2, `first retry after ${b - a} ms`);
      assert.ok(c - b >= RETRY_BASE_MS, `second retry after ${c - b} ms`);
      // The receiver records a request before it answers; the worker records the answer after.
      await waitFor(async () => (await deliveryOf(launchId)).status === 'delivered');
      const row = await deliveryOf(launchId);
      assert.equal(Number(row.attempts), 3);
      assert.equal(Number(row.last_response_status), 200);
      await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_MS * 3));
      assert.equal(receiver.received.filter(ofLaunch(launchId)).length, 3, 'nothing after success');
    });

    it('out of attempts it is failed; the console shows it and Redeliver sends it again', async () => {
      receiver.answer = () => 503;
      const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
      await receiver.waitFor(3, ofLaunch(launchId));
      await waitFor(async () => (await deliveryOf(launchId)).status === 'failed');
      const row = await deliveryOf(launchId);
      assert.equal(Number(row.attempts), 3);
      assert.equal(row.last_error, 'status 503');

      const operator = await signIn(stack, stack.orgId);
      const list = await operator.get('/admin/settings/webhooks');
      assert.equal(list.statusCode, 200);
      assert.ok(list.body.includes(endpoint.id) && list.body.includes(receiver.url));
      const page = await operator.get(`/admin/settings/webhooks/${endpoint.id}`);
      assert.equal(page.statusCode, 200);
      assert.ok(page.body.includes(row.message_id));
      assert.match(page.body, />failed</);
      assert.ok(page.body.includes('status 503'));

      receiver.answer = () => 200;
      const redeliver = `/admin/settings/webhooks/${endpoint.id}/deliveries/${row.message_id}/redeliver`;
      const refused = await operator.post(redeliver, {});
      assert.equal(refused.statusCode, 403, 'no CSRF token, no redelivery');
      const posted = await operator.post(redeliver, { _csrf: csrfTokenOf(page.body) });
      assert.equal(posted.statusCode, 303);
      assert.equal(posted.headers.location, `/admin/settings/webhooks/${endpoint.id}`);
      const hooks = await receiver.waitFor(4, ofLaunch(launchId));
      assert.equal(hooks[3]?.headers['webhook-id'], row.message_id, 'redelivered with the same webhook-id');
      await waitFor(async () => (await deliveryOf(launchId)).status === 'delivered');
      const audit = await stack.gateway.services.db
        .selectFrom('audit_event')
        .select(['actor', 'details'])
        .where('action', '=', 'webhook_delivery.redelivered')
        .execute();
      assert.ok(audit.some((event) => event.details?.includes(row.message_id)));
    });

    it('an operator adds an endpoint in the console, sees its secret once, and removes it', async () => {
      const operator = await signIn(stack, stack.orgId);
      const page = await operator.get('/admin/settings/webhooks');
      const csrf = csrfTokenOf(page.body);
      const refused = await operator.post('/admin/settings/webhooks', {
        _csrf: csrf,
        url: 'http://x.example/<b>hi</b>',
      });
      assert.equal(refused.statusCode, 422);
      assert.ok(refused.body.includes('url must use https'), 'the reason beside the field');
      assert.ok(
        refused.body.includes('http://x.example/&lt;b&gt;hi&lt;/b&gt;') &&
          !refused.body.includes('<b>hi</b>'),
      );

      const added = await operator.post('/admin/settings/webhooks', {
        _csrf: csrf,
        url: 'https://app.example.org/hooks',
        events: 'launch.failed',
      });
      assert.equal(added.statusCode, 303);
      const location = String(added.headers.location);
      const id = /\/admin\/settings\/webhooks\/(whep_\w+)$/.exec(location)?.[1];
      assert.ok(id, location);
      const shown = await operator.get(location);
      const secret = /value="(whsec_[^"]+)"/.exec(shown.body)?.[1];
      assert.ok(secret, 'the secret is on the next page');
      assert.ok(shown.body.includes('launch.failed'));
      const stored = await stack.gateway.services.db
        .selectFrom('webhook_endpoint')
        .select(['secret', 'events', 'org_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.ok(!stored.secret.includes(secret.slice(6)), 'sealed at rest');
      assert.equal(stored.events, ',launch.failed,');
      assert.equal(stored.org_id, stack.orgId);
      assert.ok(!(await operator.get(location)).body.includes(secret), 'shown only once');

      const removed = await operator.post(`${location}/remove`, { _csrf: csrf });
      assert.equal(removed.statusCode, 303);
      assert.equal((await operator.get(location)).statusCode, 404);
      const actions = await stack.gateway.services.db
        .selectFrom('audit_event')
        .select('action')
        .where('action', 'like', 'webhook_endpoint.%')
        .where('details', 'like', `%${id}%`)
        .execute();
      assert.deepEqual(actions.map((row) => row.action).sort(), [
        'webhook_endpoint.added',
        'webhook_endpoint.removed',
      ]);
    });

    it('another organization’s operator gets 404 for the endpoint and its deliveries, as for a missing one', async () => {
      const other = await createOrganization(stack.gateway.services.db, { name: 'Other Clinic' });
      const outsider = await signIn(stack, other.id);
      const list = await outsider.get('/admin/settings/webhooks');
      assert.equal(list.statusCode, 200);
      assert.ok(!list.body.includes(endpoint.id));
      const theirs = await outsider.get(`/admin/settings/webhooks/${endpoint.id}`);
      const missing = await outsider.get('/admin/settings/webhooks/whep_doesnotexist');
      assert.equal(theirs.statusCode, 404);
      assert.equal(missing.statusCode, 404);
      assert.equal(strip(theirs.body), strip(missing.body));
      const [row] = await stack.gateway.services.db
        .selectFrom('webhook_delivery')
        .select('message_id')
        .execute();
      const csrf = csrfTokenOf(list.body);
      const post = await outsider.post(
        `/admin/settings/webhooks/${endpoint.id}/deliveries/${row?.message_id}/redeliver`,
        {
          _csrf: csrf,
        },
      );
      assert.equal(post.statusCode, 404);
      const removal = await outsider.post(`/admin/settings/webhooks/${endpoint.id}/remove`, { _csrf: csrf });
      assert.equal(removal.statusCode, 404);
      assert.equal((await outsider.get(`/admin/settings/webhooks/${endpoint.id}`)).statusCode, 404);
    });

    async function deliveryOf(launchId: string) {
      return stack.gateway.services.db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('launch_id', '=', launchId)
        .executeTakeFirstOrThrow();
    }
  });
}

/** An org operator of `orgId`, signed in to the stack's console. */
async function signIn(stack: Stack, orgId: string): Promise<ConsoleClient> {
  const email = `ops-${Math.random().toString(36).slice(2)}@clinic.example`;
  await createOperator(stack.gateway.services.db, { orgId, email, password: PASSWORD });
  const client = new ConsoleClient(stack.gateway);
  assert.equal((await client.signIn(email)).statusCode, 303);
  return client;
}

/** A page without what differs on every request (request id, CSRF token). */
function strip(body: string): string {
  return body
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID')
    .replace(/value="[^"]{20,}"/g, 'value=""')
    .replace(/"X-CSRF-Token":"[^"]+"/g, '');
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
