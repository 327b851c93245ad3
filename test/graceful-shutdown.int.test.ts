/**
 * `chartside serve` as a child process receives SIGTERM while it relays a FHIR request to a slow
 * EHR: readiness turns 503 at once, the process keeps serving through the drain, the in-flight
 * request completes (and its keep-alive connection is closed after it), and the process exits 0
 * without needing its in-flight timeout.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { type GatewayProcess, startGatewayProcess, stopGatewayProcesses } from './support/gateway-process.ts';
import { authorizeAtEhr, launchIdFrom } from './support/launch-driver.ts';
import { freePort } from './support/ports.ts';
import { type RoundRobin, startRoundRobin } from './support/round-robin.ts';
import { sandboxLaunch } from './support/sandbox-controls.ts';
import { type SeededTenant, seedSandboxTenant } from './support/stack.ts';

const DRAIN_MS = 3000;
const SLOW_EHR_MS = 4000;

/** A GET over node:http, so the response's Connection header is visible as sent. */
function get(url: string, headers: Record<string, string>, agent: Agent) {
  return new Promise<{ response: IncomingMessage; body: string }>((resolve, reject) => {
    const request = httpRequest(url, { headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ response, body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('graceful shutdown of a gateway process', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let ehrFront: RoundRobin;
  let tenant: SeededTenant;
  let gateway: GatewayProcess;
  let launchId: string;
  let slowEhr = false;

  before(async () => {
    database = await createTestDatabase('postgres');
    // The sandbox sits behind a front that can hold FHIR reads: the slow EHR.
    ehrFront = await startRoundRobin([], {
      healthChecks: false,
      delayMs: (request) => (slowEhr && request.url?.includes('/Patient/') ? SLOW_EHR_MS : 0),
    });
    const port = await freePort();
    const sandboxPort = await freePort();
    const masterKey = randomBytes(32).toString('base64');
    const env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: masterKey,
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      CHARTSIDE_SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      CHARTSIDE_SHUTDOWN_TIMEOUT_MS: '20000',
      LOG_LEVEL: 'info',
    };
    const config = loadConfig({ ...env, PORT: String(port) });
    handle = openDatabase(database.url, { poolSize: 2 });
    await migrateToLatest(handle);
    tenant = await seedSandboxTenant({ db: handle.db, sealer: createSealer(config.masterKey) }, config, {
      sandboxOrigin: ehrFront.url,
      sandboxPort,
    });
    await ehrFront.add(`http://127.0.0.1:${sandboxPort}`);
    gateway = await startGatewayProcess(env, port);

    const ehrLaunch = await sandboxLaunch(tenant.sandbox, tenant.clientId);
    const started = await fetch(ehrLaunch.launch_url, { redirect: 'manual' });
    const callback = await authorizeAtEhr(
      new URL(started.headers.get('location') as string),
      ehrLaunch.session_cookie,
    );
    launchId = launchIdFrom(await fetch(callback, { redirect: 'manual' }));
  });

  after(async () => {
    await stopGatewayProcesses();
    await tenant?.sandbox.close();
    await ehrFront?.close();
    await handle?.close();
    await database?.drop();
  });

  it('finishes the in-flight FHIR request, answers 503 shutting_down while draining, exits 0', async () => {
    const auth = { authorization: `Bearer ${tenant.apiKey}` };
    const agent = new Agent({ keepAlive: true });
    // An idle keep-alive connection must not hold the shutdown up either.
    const warmUp = await get(`${gateway.url}/healthz`, {}, agent);
    assert.equal(warmUp.response.statusCode, 200);

    slowEhr = true;
    const reachedEhr = new Promise<void>((resolve) => {
      ehrFront.onReceive = (request) => {
        if (request.url?.includes('/Patient/')) resolve();
      };
    });
    const inFlight = get(`${gateway.url}/fhir/${launchId}/Patient/12724066`, auth, agent);
    await reachedEhr;
    const exited = once(gateway.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    gateway.process.kill('SIGTERM');

    let readiness: Response | undefined;
    for (let tries = 0; tries < 40; tries++) {
      readiness = await fetch(`${gateway.url}/readyz`);
      if (readiness.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(readiness?.status, 503);
    assert.deepEqual(await readiness?.json(), { status: 'not_ready', reason: 'shutting_down' });
    assert.equal(readiness?.headers.get('cache-control'), 'no-store');

    // Still serving through the drain: liveness, and a new API request.
    assert.equal((await fetch(`${gateway.url}/healthz`)).status, 200);
    const context = await fetch(`${gateway.url}/launch-contexts/${launchId}`, { headers: auth });
    assert.equal(context.status, 200);
    assert.equal(((await context.json()) as { status: string }).status, 'ready');

    const slow = await inFlight;
    assert.equal(slow.response.statusCode, 200, slow.body);
    assert.equal((JSON.parse(slow.body) as { id: string }).id, '12724066');
    assert.equal(slow.response.headers.connection, 'close', 'no keep-alive past shutdown');

    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    const output = gateway.output.join('');
    assert.match(output, /"msg":"shutting down"/);
    assert.match(output, /"msg":"shut down"/);
    assert.doesNotMatch(output, /shutdown timeout/, 'every connection closed without the timeout');
    await assert.rejects(fetch(`${gateway.url}/healthz`), 'no longer listening');
    agent.destroy();
  });
});
