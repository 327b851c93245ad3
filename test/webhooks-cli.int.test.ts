/**
 * `chartside webhook add|list|remove` as scripts use them, and the address rule for webhook URLs:
 * in production a private or local address is refused when the endpoint is added, and a name
 * that resolves to one is refused at every delivery (the outbound policy of the gateway's mode).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { NO_ADDRESS_RANGES } from '../src/http/address-ranges.ts';
import { createOutboundHttp } from '../src/http/outbound.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import { enqueueLaunchEvent } from '../src/webhooks/outbox.ts';
import { startWebhookWorker } from '../src/webhooks/worker.ts';
import { assertBadInput, cliEnvironment, runChartside } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

describe('chartside webhook', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let orgId: string;
  let otherOrgId: string;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnvironment(database);
    const handle = openDatabase(database.url);
    await migrateToLatest(handle);
    orgId = (await createOrganization(handle.db, { name: 'Hooks Clinic' })).id;
    otherOrgId = (await createOrganization(handle.db, { name: 'Other Clinic' })).id;
    await handle.close();
  });
  after(() => database.drop());

  const chartside = (...args: string[]) => runChartside(env, args);

  it('adds an endpoint and prints its signing secret once; lists and removes it within the org only', async () => {
    const added = await chartside(
      'webhook',
      'add',
      '--org',
      orgId,
      '--url',
      'https://app.example.org/hooks?token=s3cr3t',
      '--events',
      'launch.ready,launch.ended',
      '--json',
    );
    assert.equal(added.code, 0, added.stderr);
    const endpoint = JSON.parse(added.stdout);
    assert.match(endpoint.id, /^whep_[0-9A-Za-z]{22}$/);
    assert.equal(endpoint.url, 'https://app.example.org/hooks?token=s3cr3t');
    assert.deepEqual(endpoint.events, ['launch.ready', 'launch.ended']);
    assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(endpoint.secret.slice(6), 'base64').length, 32);

    const listed = await chartside('webhook', 'list', '--org', orgId, '--json');
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout);
    assert.equal(list.org, orgId);
    assert.deepEqual(
      list.endpoints.map((e: { id: string; events: string[] }) => [e.id, e.events]),
      [[endpoint.id, ['launch.ready', 'launch.ended']]],
    );
    assert.ok(!listed.stdout.includes('whsec_'), 'the secret is never shown again');
    const theirs = JSON.parse((await chartside('webhook', 'list', '--org', otherOrgId, '--json')).stdout);
    assert.deepEqual(theirs.endpoints, []);

    // Another org's endpoint is refused exactly like a missing one.
    const fromOther = await chartside('webhook', 'remove', '--org', otherOrgId, '--id', endpoint.id);
    const missing = await chartside('webhook', 'remove', '--org', otherOrgId, '--id', 'whep_missing');
    assertBadInput(fromOther, /^chartside: There is no such webhook endpoint\. \(id\)$/);
    assert.equal(fromOther.stderr, missing.stderr);

    const removed = await chartside('webhook', 'remove', '--org', orgId, '--id', endpoint.id, '--json');
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { id: endpoint.id, org: orgId, removed: true });
    assert.deepEqual(
      JSON.parse((await chartside('webhook', 'list', '--org', orgId, '--json')).stdout).endpoints,
      [],
    );

    const handle = openDatabase(database.url);
    try {
      const audit = await handle.db
        .selectFrom('audit_event')
        .select(['action', 'actor', 'details'])
        .where('org_id', '=', orgId)
        .where('action', 'like', 'webhook_endpoint.%')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((row) => [row.action, row.actor]),
        [
          ['webhook_endpoint.added', 'cli'],
          ['webhook_endpoint.removed', 'cli'],
        ],
      );
      assert.equal(JSON.parse(audit[0]?.details ?? '{}').url, 'https://app.example.org/hooks');
      assert.ok(
        audit.every((row) => !row.details?.includes('s3cr3t')),
        'no query string in the audit trail',
      );
    } finally {
      await handle.close();
    }
  });

  it('refuses bad input with exit 2 and one line', async () => {
    assertBadInput(await chartside('webhook', 'add', '--org', orgId), /url is required/);
    assertBadInput(await chartside('webhook', 'add', '--url', 'https://a.example'), /--org is required/);
    assertBadInput(
      await chartside('webhook', 'add', '--org', orgId, '--url', 'ftp://a.example/x'),
      /url must use https/,
    );
    assertBadInput(
      await chartside(
        'webhook',
        'add',
        '--org',
        orgId,
        '--url',
        'https://a.example',
        '--events',
        'launch.started',
      ),
      /events must be a comma-separated list of launch\.ready, launch\.failed, launch\.ended, launch\.refresh_failed/,
    );
    assertBadInput(
      await chartside('webhook', 'add', '--org', 'org_nope', '--url', 'https://a.example'),
      /No organization org_nope/,
    );
  });

  it('in production refuses a private or local address, and plain http anywhere', async () => {
    const production = { ...env, CHARTSIDE_ENV: 'production' };
    for (const url of [
      'https://10.0.0.5/hooks',
      'https://127.0.0.1:8443/hooks',
      'https://metadata.internal/x',
    ]) {
      assertBadInput(
        await runChartside(production, ['webhook', 'add', '--org', orgId, '--url', url]),
        /private or local network address, which a production gateway does not send to\. \(url\)$/,
      );
    }
    assertBadInput(
      await runChartside(production, ['webhook', 'add', '--org', orgId, '--url', 'http://127.0.0.1:9/hooks']),
      /url must use https\./,
    );
  });
});

describe('webhook delivery under the production address policy', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  before(async () => {
    database = await createTestDatabase('sqlite');
    handle = openDatabase(database.url);
    await migrateToLatest(handle);
  });
  after(async () => {
    await handle.close();
    await database.drop();
  });

  it('does not send to a name that resolves to a private address, and says why', async () => {
    const receiver = await startWebhookReceiver();
    const sealer = createSealer(randomBytes(32));
    const orgId = (await createOrganization(handle.db, { name: 'Prod Clinic' })).id;
    // Added in development (a plain name passes); delivered by a production gateway.
    const endpoint = await addWebhookEndpoint(
      { db: handle.db, sealer, config: { mode: 'development', allowPrivateUpstreams: NO_ADDRESS_RANGES } },
      orgId,
      { url: 'https://hooks.example.org/chartside', actor: 'test' },
    );
    await enqueueLaunchEvent(handle.db, {
      type: 'launch.ready',
      launchId: '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de',
      orgId,
      environment: 'production',
      status: 'ready',
      at: new Date().toISOString(),
    });
    // hooks.example.org "resolves" to the receiver's loopback address.
    const http = createOutboundHttp({
      timeoutMs: 1000,
      resolveHost: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const worker = startWebhookWorker(
      {
        db: handle.db,
        sealer,
        http,
        log: pino({ level: 'silent' }),
        config: {
          mode: 'production',
          allowPrivateUpstreams: NO_ADDRESS_RANGES,
          webhooks: { pollMs: 0, timeoutMs: 1000, maxAttempts: 3, retryBaseMs: 1000, retryMaxMs: 1000 },
        },
      },
      { poll: false },
    );
    try {
      assert.equal(await worker.runOnce(), 1);
      const row = await handle.db
        .selectFrom('webhook_delivery')
        .selectAll()
        .where('endpoint_id', '=', endpoint.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending', 'tried again later: DNS may change');
      assert.equal(row.last_error, 'not_allowed');
      assert.equal(row.last_response_status, null);
      assert.equal(receiver.received.length, 0);
    } finally {
      await worker.stop();
      await http.close();
      await receiver.close();
    }
  });
});
