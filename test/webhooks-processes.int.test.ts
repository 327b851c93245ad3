/**
 * At least once across a crash: a gateway process killed (SIGKILL) while it is POSTing an event
 * leaves the outbox row leased; once the lease runs out a restarted process sends it again, with
 * the same webhook-id and body, and records it delivered. Nothing is lost, and a duplicate
 * carries the id a receiver de-duplicates by.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { startGatewayProcess, stopGatewayProcesses } from './support/gateway-process.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { freePort } from './support/ports.ts';
import { type SeededTenant, type Stack, seedSandboxTenant } from './support/stack.ts';
import { signatureIsValid, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

describe('webhooks when a gateway process dies mid-delivery (postgres)', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let receiver: WebhookReceiver;
  let tenant: SeededTenant;
  let env: NodeJS.ProcessEnv;
  let port: number;

  before(async () => {
    database = await createTestDatabase('postgres');
    receiver = await startWebhookReceiver();
    port = await freePort();
    env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      CHARTSIDE_WEBHOOK_POLL_MS: '50',
      // The lease is twice this plus a second: a dead holder's rows are free again after 2 s.
      CHARTSIDE_WEBHOOK_TIMEOUT_MS: '500',
    };
    const config = loadConfig({ ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` });
    handle = openDatabase(database.url, { poolSize: 2 });
    await migrateToLatest(handle);
    const sealer = createSealer(config.masterKey);
    tenant = await seedSandboxTenant({ db: handle.db, sealer }, config, {
      appLaunchUrl: 'https://app.example.org/launch',
    });
    const endpoint = await addWebhookEndpoint({ db: handle.db, sealer, config }, tenant.orgId, {
      url: receiver.url,
      actor: 'test',
    });
    secret = endpoint.secret;
  });
  let secret: string;
  after(async () => {
    await stopGatewayProcesses();
    await tenant?.sandbox.close();
    await receiver.close();
    await handle.close();
    await database.drop();
  });

  it('the event still arrives after a restart, and every copy has the same webhook-id', async () => {
    // The first POST is never answered: the process is killed while it waits.
    receiver.answer = (n) => (n === 0 ? 'hold' : 204);
    const first = await startGatewayProcess(env, port);
    const launchId = launchIdFrom((await driveLaunch(tenant as unknown as Stack)).callbackResponse);
    await receiver.waitFor(1);
    first.process.kill('SIGKILL');
    await new Promise((resolve) => first.process.once('exit', resolve));
    const leased = await deliveryOf(launchId);
    assert.equal(leased.status, 'pending');
    assert.ok(
      leased.lease_until && Date.parse(leased.lease_until) > Date.now(),
      'still leased by the dead process',
    );

    await startGatewayProcess(env, port);
    const hooks = await receiver.waitFor(2, () => true, 20_000);
    assert.equal(
      new Set(hooks.map((h) => h.headers['webhook-id'])).size,
      1,
      'duplicates share the webhook-id',
    );
    assert.equal(new Set(hooks.map((h) => h.body)).size, 1);
    assert.ok(hooks.every((h) => signatureIsValid(secret, h)));
    const body = JSON.parse(hooks[1]?.body ?? '{}');
    assert.equal(body.type, 'launch.ready');
    assert.equal(body.data.launch_id, launchId);

    const deadline = Date.now() + 5000;
    while ((await deliveryOf(launchId)).status !== 'delivered') {
      assert.ok(Date.now() < deadline, 'recorded delivered');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const delivered = await deliveryOf(launchId);
    assert.equal(Number(delivered.attempts), 2);
    assert.equal(delivered.lease_until, null);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.received.length, 2, 'no third copy once delivered');
  });

  function deliveryOf(launchId: string) {
    return handle.db
      .selectFrom('webhook_delivery')
      .selectAll()
      .where('launch_id', '=', launchId)
      .executeTakeFirstOrThrow();
  }
});
