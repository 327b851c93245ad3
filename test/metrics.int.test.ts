/**
 * `GET /metrics` as Prometheus scrapes it: behind CHARTSIDE_METRICS_TOKEN (401 in the API
 * envelope without it), or on CHARTSIDE_METRICS_PORT and then not on the main port. A real
 * launch, a refused one, a FHIR read and a webhook delivery are counted, with bounded labels
 * only, and each app counts in its own registry; so is every query sent to the database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/index.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import { createTestDatabase, type TestEngine } from './support/databases.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { freePort } from './support/ports.ts';
import { setFaults } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format, samples only. */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key as string] = value as string;
      }
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('GET /metrics with CHARTSIDE_METRICS_TOKEN', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  before(async () => {
    stack = await startStack({
      appLaunchUrl: 'https://app.example.org/launch',
      env: { CHARTSIDE_METRICS_TOKEN: TOKEN, CHARTSIDE_WEBHOOK_POLL_MS: '25' },
    });
    receiver = await startWebhookReceiver();
    await addWebhookEndpoint(stack.gateway.services, stack.orgId, { url: receiver.url, actor: 'test' });
  });
  after(async () => {
    await stack.close();
    await receiver.close();
  });

  const scrape = async (authorization?: string) =>
    fetch(`${stack.gatewayUrl}/metrics`, authorization ? { headers: { authorization } } : {});

  it('refuses a scrape without the token, or with another, in the API envelope', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789abcd', `Basic ${TOKEN}`]) {
      const response = await scrape(authorization);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="metrics"');
      const requestId = response.headers.get('x-request-id');
      assert.ok(requestId);
      assert.deepEqual(await response.json(), {
        error: {
          type: 'authentication_error',
          code: 'metrics_token_required',
          message: 'Metrics need the metrics token: send Authorization: Bearer <CHARTSIDE_METRICS_TOKEN>.',
          param: null,
          doc_url: null,
          request_id: requestId,
        },
      });
    }
  });

  it('counts a ready launch, a refused one, a FHIR read and a webhook delivery', async () => {
    const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
    await setFaults(stack.sandbox, { authorize: 'deny' });
    assert.equal((await driveLaunch(stack)).callbackResponse.status, 502);
    await setFaults(stack.sandbox, { authorize: null });
    const read = await fetch(`${stack.gatewayUrl}/fhir/${launchId}/Patient/12724066`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    await read.arrayBuffer();
    const missing = await fetch(`${stack.gatewayUrl}/fhir/00000000-0000-4000-8000-000000000000/Patient/1`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    const refused = await fetch(`${stack.gatewayUrl}/admin/sign-out`, { method: 'POST' });
    assert.equal(refused.status, 403, 'a console form without a session');
    await refused.arrayBuffer();
    await receiver.waitFor(2);
    // The worker counts the attempt once it has recorded it.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const response = await scrape(`Bearer ${TOKEN}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parseMetrics(await response.text());
    const launch = { vendor: 'cerner', environment: 'sandbox' };
    assert.equal(sampleValue(samples, 'chartside_launches_started_total', launch), 2);
    assert.equal(sampleValue(samples, 'chartside_launches_ready_total', launch), 1);
    assert.equal(
      sampleValue(samples, 'chartside_launches_failed_total', { ...launch, code: 'oauth_error' }),
      1,
    );
    assert.equal(sampleValue(samples, 'chartside_launch_duration_seconds_count', launch), 1);
    assert.equal(sampleValue(samples, 'chartside_launch_hop_duration_seconds_count', { hop: 'launch' }), 2);
    assert.equal(
      sampleValue(samples, 'chartside_launch_hop_duration_seconds_count', { hop: 'callback', share: 'ehr' }),
      1,
    );
    assert.ok(
      sampleValue(samples, 'chartside_launch_hop_duration_seconds_sum', { hop: 'callback', share: 'ehr' }) >
        0,
    );
    const readClass = `${String(read.status)[0]}xx`;
    assert.equal(sampleValue(samples, 'chartside_fhir_requests_total', { status_class: readClass }), 1);
    assert.equal(
      sampleValue(samples, 'chartside_fhir_requests_total', { status_class: '4xx' }),
      readClass === '4xx' ? 2 : 1,
    );
    assert.equal(sampleValue(samples, 'chartside_fhir_request_duration_seconds_count'), 2);
    assert.ok(sampleValue(samples, 'chartside_errors_total', { code: 'resource_not_found' }) >= 1);
    assert.equal(sampleValue(samples, 'chartside_errors_total', { code: 'console_refused' }), 1);
    assert.equal(sampleValue(samples, 'chartside_errors_total', { code: 'internal_error' }), 0);
    assert.equal(
      sampleValue(samples, 'chartside_webhook_deliveries_total', {
        event: 'launch.ready',
        outcome: 'delivered',
      }),
      1,
    );
    assert.equal(
      sampleValue(samples, 'chartside_webhook_deliveries_total', {
        event: 'launch.failed',
        outcome: 'delivered',
      }),
      1,
    );
  });

  it('has bounded labels only: no id, no URL, no token', async () => {
    const samples = parseMetrics(await (await scrape(`Bearer ${TOKEN}`)).text());
    const allowed = new Set([
      'vendor',
      'environment',
      'code',
      'hop',
      'share',
      'outcome',
      'status_class',
      'cache',
      'event',
      'state',
      'engine',
      'le',
    ]);
    for (const sample of samples) {
      for (const [name, value] of Object.entries(sample.labels)) {
        assert.ok(allowed.has(name), `${sample.name} has label ${name}`);
        assert.doesNotMatch(
          value,
          /[0-9a-f]{8}-[0-9a-f]{4}|^(org|fhirsrc|whep|msg|cs)_|\/\/|Bearer/,
          `${sample.name}{${name}="${value}"}`,
        );
      }
    }
    assert.ok(samples.length > 20);
  });

  it('each app counts in its own registry', async () => {
    const other = await startStack({ env: { CHARTSIDE_METRICS_TOKEN: TOKEN } });
    try {
      const response = await fetch(`${other.gatewayUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const samples = parseMetrics(await response.text());
      assert.equal(sampleValue(samples, 'chartside_launches_started_total'), 0);
      assert.equal(sampleValue(samples, 'chartside_webhook_deliveries_total'), 0);
    } finally {
      await other.close();
    }
  });
});

describe('GET /metrics on PostgreSQL', () => {
  it('reports the connection pool: total, idle and waiting', async () => {
    const stack = await startStack({ engine: 'postgres', env: { CHARTSIDE_METRICS_TOKEN: TOKEN } });
    try {
      const response = await fetch(`${stack.gatewayUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const pool = parseMetrics(await response.text()).filter(
        (s) => s.name === 'chartside_db_pool_connections',
      );
      assert.deepEqual(pool.map((s) => s.labels.state).sort(), ['idle', 'total', 'waiting']);
      assert.ok(sampleValue(pool, 'chartside_db_pool_connections', { state: 'total' }) >= 1);
      assert.equal(sampleValue(pool, 'chartside_db_pool_connections', { state: 'waiting' }), 0);
    } finally {
      await stack.close();
    }
  });
});

describe('chartside_db_queries_total', () => {
  for (const engine of ['sqlite', 'postgres'] as TestEngine[]) {
    it(`counts every query sent on ${engine}, begin and commit included`, async () => {
      const database = await createTestDatabase(engine);
      let queries = 0;
      const handle = openDatabase(database.url, {
        preparedStatements: true,
        onQuery: () => {
          queries += 1;
        },
      });
      try {
        await sql`select 1`.execute(handle.db);
        assert.equal(queries, 1);
        await handle.db.transaction().execute(async (trx) => {
          await sql`select 1`.execute(trx);
          await sql`select ${2}`.execute(trx);
        });
        assert.equal(queries, 5, 'begin, two statements, commit');
      } finally {
        await handle.close();
        await database.drop();
      }
    });
  }

  it('counts a launch’s round trips on PostgreSQL, and nothing while idle or scraped', async () => {
    const stack = await startStack({
      engine: 'postgres',
      env: {
        CHARTSIDE_METRICS_TOKEN: TOKEN,
        // No background work: only the launches query.
        CHARTSIDE_WEBHOOK_POLL_MS: '0',
        CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
        CHARTSIDE_KEY_RELOAD_SECONDS: '3600',
      },
    });
    const queries = async () => {
      const response = await fetch(`${stack.gatewayUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const samples = parseMetrics(await response.text()).filter(
        (s) => s.name === 'chartside_db_queries_total',
      );
      assert.deepEqual(
        samples.map((s) => s.labels),
        [{ engine: 'postgres' }],
      );
      return samples[0]?.value as number;
    };
    try {
      // The first launch also stores the EHR's discovery document.
      assert.equal((await driveLaunch(stack)).callbackResponse.status, 302);
      const before = await queries();
      assert.equal(await queries(), before, 'a scrape sends no query');
      assert.equal((await driveLaunch(stack)).callbackResponse.status, 302);
      const once = (await queries()) - before;
      assert.equal((await driveLaunch(stack)).callbackResponse.status, 302);
      const twice = (await queries()) - before;
      assert.ok(once >= 2, `at least one query per hop, counted ${once}`);
      assert.equal(twice, 2 * once, 'the same launch sends the same queries');
    } finally {
      await stack.close();
    }
  });
});

describe('GET /metrics on CHARTSIDE_METRICS_PORT', () => {
  it('is served on its own port only, with the token there too when one is set', async () => {
    const metricsPort = await freePort();
    const stack = await startStack({
      env: { CHARTSIDE_METRICS_PORT: String(metricsPort), CHARTSIDE_METRICS_TOKEN: TOKEN },
    });
    try {
      const main = await fetch(`${stack.gatewayUrl}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(main.status, 404);
      assert.equal(((await main.json()) as { error: { code: string } }).error.code, 'route_not_found');
      const anonymous = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(anonymous.status, 401);
      assert.equal(
        ((await anonymous.json()) as { error: { code: string } }).error.code,
        'metrics_token_required',
      );
      const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(own.status, 200);
      assert.ok(own.headers.get('x-request-id'));
      assert.match(await own.text(), /# TYPE chartside_launches_started_total counter/);
      const elsewhere = await fetch(`http://127.0.0.1:${metricsPort}/launch-contexts/x`);
      assert.equal(elsewhere.status, 404);
    } finally {
      await stack.close();
    }
    const closed = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      () => 'open',
      () => 'closed',
    );
    assert.equal(closed, 'closed', 'the metrics port closes with the app');
  });

  it('is not served at all without a token or a port', async () => {
    const stack = await startStack();
    try {
      assert.equal((await fetch(`${stack.gatewayUrl}/metrics`)).status, 404);
    } finally {
      await stack.close();
    }
  });
});
