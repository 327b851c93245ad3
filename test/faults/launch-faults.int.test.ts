/**
 * Proof under pressure: many EHR launches through two `chartside serve` processes while a
 * fault-injecting front makes the sandbox's discovery, JWKS, token endpoint and FHIR server fail
 * in every way a real EHR does (5xx, hangs past the timeout, slow answers, connections cut
 * mid-body, malformed and oversized JSON), PostgreSQL is restarted once mid-run and one gateway
 * process is killed (SIGKILL) and restarted mid-run.
 *
 * Then every launch is accounted for (exactly one row, `ready` or failed with a reason, none
 * pending past its state's life, none duplicated, none lost), FHIR reads through the faulty EHR
 * answer with the EHR's data or a clean error of ours, and after the faults are switched off both
 * processes serve a clean launch, context read and FHIR read. The tally is printed.
 *
 * Default: a few hundred launches (CI). `FAULTS_FULL=1` (`npm run test:faults`): 10,000.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { createSealer } from '../../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type FaultFront, type FaultRates, startFaultFront } from '../support/fault-front.ts';
import {
  type GatewayProcess,
  startGatewayProcess,
  stopGatewayProcesses,
} from '../support/gateway-process.ts';
import { freePort } from '../support/ports.ts';
import { type PrivatePostgres, postgresBinDir, startPrivatePostgres } from '../support/private-postgres.ts';
import { seedSandboxTenant } from '../support/stack.ts';
import { accountForLaunches } from './accounting.ts';
import { probeFhir } from './fhir-probes.ts';
import { type GatewayPool, type LaunchRecord, runLaunches, watchHealth } from './launch-runner.ts';

const FULL = process.env.FAULTS_FULL === '1';
const LAUNCHES = Number(process.env.FAULTS_LAUNCHES ?? (FULL ? 10_000 : 200));
const CONCURRENCY = FULL ? 16 : 12;
const FHIR_PROBES = FULL ? 2000 : 100;
/** The gateway's outbound timeout; "hang" holds four times as long, "slow" a quarter. */
const TIMEOUT_MS = 600;
/** A gateway answer later than this is a hang (a callback makes up to three outbound calls). */
const HOP_TIMEOUT_MS = 15_000;
const SEED = Number(process.env.FAULTS_SEED ?? 20261129);

const each = (rate: number) => ({
  http_500: rate,
  http_502: rate,
  http_503: rate,
  hang: rate,
  slow: rate,
  reset_mid_body: rate,
  malformed_json: rate,
  oversized_json: rate,
});
const LAUNCH_FAULTS: FaultRates = { discovery: each(0.03), jwks: each(0.02), token: each(0.02) };
const FHIR_FAULTS: FaultRates = { fhir: { ...each(0.05), hang: 0.08 } };

describe('launches under injected faults, a PostgreSQL restart and a killed process', () => {
  let postgres: PrivatePostgres | null = null;
  let shared: TestDatabase | null = null;
  let handle: DatabaseHandle;
  let front: FaultFront;
  let sandbox: RunningSandbox;
  let clientId: string;
  let apiKey: string;
  let env: NodeJS.ProcessEnv;
  const ports: number[] = [];
  const pool: GatewayPool = { urls: [] };
  const restarts = { postgres: 0, gateway: 0 };
  let records: LaunchRecord[] = [];
  let gateways: GatewayProcess[] = [];
  /** Output of gateway processes that died on their own. */
  const crashes: string[] = [];
  let killed: { gateway: number; at: number } | null = null;

  before(async () => {
    // Killed by the runner (timeout, ^C): take the gateway processes and the cluster down too.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        for (const gateway of gateways) gateway.process.kill('SIGKILL');
        process.exit(1);
      });
    }
    const binDir = postgresBinDir();
    let databaseUrl: string;
    if (binDir) {
      postgres = await startPrivatePostgres(binDir);
      databaseUrl = postgres.url;
    } else {
      console.log('# initdb not found: running on the shared PostgreSQL, without the restart');
      shared = await createTestDatabase('postgres');
      databaseUrl = shared.url;
    }
    front = await startFaultFront({
      seed: SEED,
      hangMs: TIMEOUT_MS * 4,
      slowMs: TIMEOUT_MS / 4,
      oversizedBytes: 1_200_000,
    });
    ports.push(await freePort(), await freePort());
    const publicUrl = `http://127.0.0.1:${ports[0]}`;
    env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl, // both processes behind one public URL, as behind a load balancer
      DATABASE_URL: databaseUrl,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      CHARTSIDE_HTTP_TIMEOUT_MS: String(TIMEOUT_MS),
      CHARTSIDE_FHIR_TIMEOUT_MS: String(TIMEOUT_MS),
      CHARTSIDE_REFRESH_TIMEOUT_MS: String(TIMEOUT_MS),
      CHARTSIDE_FHIR_MAX_RESPONSE_BYTES: String(1_048_576),
      // Discovery on every launch, so its faults keep mattering.
      CHARTSIDE_DISCOVERY_TTL_SECONDS: '0',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      LOG_LEVEL: 'error',
    };
    handle = openDatabase(databaseUrl, { poolSize: 2 });
    await migrateToLatest(handle);
    const starting = Promise.all(ports.map((port) => startGatewayProcess(env, port)));
    starting.catch(() => {}); // awaited below
    const config = loadConfig({ ...env, PORT: String(ports[0]) });
    const sealer = createSealer(Buffer.from(env.CHARTSIDE_MASTER_KEY as string, 'base64'));
    const sandboxPort = await freePort();
    // The sandbox advertises the front's origin, so every EHR call the gateway makes crosses it.
    const tenant = await seedSandboxTenant({ db: handle.db, sealer }, config, {
      appLaunchUrl: 'https://app.example.org/launch',
      sandboxOrigin: front.origin,
      sandboxPort,
    });
    front.setUpstream(`http://127.0.0.1:${sandboxPort}`);
    ({ sandbox, clientId, apiKey } = tenant);
    gateways = await starting;
    pool.urls = gateways.map((gateway) => gateway.url);
  });

  after(async () => {
    await stopGatewayProcesses();
    await sandbox?.close();
    await front?.close();
    await handle?.close();
    await postgres?.stop();
    await shared?.drop();
  });

  it('every launch ends ready or failed with a reason: none pending, duplicated or lost', async () => {
    const health = watchHealth(pool);
    const events: Promise<void>[] = [];
    const onStart = (n: number) => {
      if (n === Math.floor(LAUNCHES * 0.3) && postgres) {
        const cluster = postgres;
        events.push(
          cluster.restart().then(() => {
            restarts.postgres++;
            debug('pg restarted');
          }),
        );
      }
      if (n === Math.floor(LAUNCHES * 0.6)) events.push(killAndRestart(1));
    };
    front.setRates(LAUNCH_FAULTS);
    const startedAt = Date.now();
    records = await runLaunches({
      sandbox,
      clientId,
      pool,
      launches: LAUNCHES,
      concurrency: CONCURRENCY,
      hopTimeoutMs: HOP_TIMEOUT_MS,
      onStart,
    });
    debug('launches done');
    await Promise.all(events);
    debug('events done');
    const runMs = Date.now() - startedAt;
    front.setRates({});
    const healthFailures = health.stop();

    const { tally, problems } = await accountForLaunches(handle.db, records, killed);
    debug('accounted');
    console.log(
      `# fault run: ${LAUNCHES} launches in ${runMs} ms, seed ${SEED}\n` +
        `# tally ${JSON.stringify(tally)}\n` +
        `# faults injected ${JSON.stringify(front.injected())}\n` +
        `# requests seen at the EHR ${JSON.stringify(front.seen())}\n` +
        `# restarts ${JSON.stringify(restarts)}; /health failures of the process never killed: ${healthFailures}`,
    );
    assert.deepEqual(crashes, [], 'no gateway process died on its own');
    assert.deepEqual(problems, []);
    assert.equal(tally.started, LAUNCHES);
    assert.equal(tally.stillPending, 0);
    assert.equal(tally.duplicates, 0);
    assert.equal(tally.lost, 0);
    assert.equal(tally.hangs, 0);
    assert.ok(tally.ready > 0, 'some launches got through');
    assert.ok((tally.failed.token_exchange_failed ?? 0) > 0, 'some token exchanges failed');
    assert.ok(
      Object.keys(front.injected()).some((fault) => fault.startsWith('discovery.')),
      'some discoveries were faulted',
    );
    assert.equal(restarts.gateway, 1);
    if (postgres) assert.equal(restarts.postgres, 1);
    assert.equal(healthFailures, 0, 'the process that was never killed kept answering /health');

    // Which hop a faulted discovery lands on depends on timing: both hops resolve the launch's
    // settings, and concurrent launches share one load (a fault at the callback's is a failed
    // token exchange). So the first hop's refusal is also checked on its own: with every SMART
    // configuration request failing, a launch is refused with a clean page, and nothing hangs.
    front.setRates({ discovery: { http_500: 1 } });
    const refused = await runLaunches({
      sandbox,
      clientId,
      pool,
      launches: 2,
      concurrency: 1,
      hopTimeoutMs: HOP_TIMEOUT_MS,
    });
    front.setRates({});
    assert.deepEqual(
      refused.map((record) => [record.launch?.code, record.launch?.hung, record.callback]),
      [
        ['discovery_failed', false, null],
        ['discovery_failed', false, null],
      ],
    );
  });

  it('FHIR reads through the faulty EHR answer with its data or a clean error of ours', async () => {
    const launchIds = records.flatMap((record) => (record.mbLaunch ? [record.mbLaunch] : []));
    assert.ok(launchIds.length > 0);
    front.setRates(FHIR_FAULTS);
    const probes = await probeFhir({
      gatewayUrls: pool.urls as string[],
      apiKey,
      launchIds,
      patient: '12724066',
      probes: FHIR_PROBES,
      concurrency: 8,
      maxMs: HOP_TIMEOUT_MS,
    });
    front.setRates({});
    console.log(`# FHIR probes ${JSON.stringify(probes.answers)}; slowest ${probes.slowestMs} ms`);
    console.log(`# faults injected ${JSON.stringify(front.injected())}`);
    assert.deepEqual(probes.problems, []);
    assert.ok((probes.answers.ehr_data ?? 0) > 0);
    assert.ok((probes.answers['ours_504:fhir_timeout'] ?? 0) > 0, 'hangs end as 504 fhir_timeout');
  });

  it('with the faults off, both processes serve a clean launch, context read and FHIR read', async () => {
    front.setRates({});
    for (const url of pool.urls as string[]) {
      const [record] = await runLaunches({
        sandbox,
        clientId,
        pool: { urls: [url] },
        launches: 1,
        concurrency: 1,
        hopTimeoutMs: HOP_TIMEOUT_MS,
      });
      assert.ok(record?.mbLaunch, `no clean launch through ${url}: ${JSON.stringify(record)}`);
      const context = await fetch(`${url}/launch-contexts/${record.mbLaunch}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const body = (await context.json()) as Record<string, unknown>;
      assert.equal(context.status, 200);
      assert.equal(body.status, 'ready');
      assert.equal(body.patient, 'Patient/12724066');
      const patient = await fetch(`${url}/fhir/${record.mbLaunch}/Patient/12724066`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      assert.equal(patient.status, 200);
      assert.equal(((await patient.json()) as { id?: string }).id, '12724066');
    }
  });

  /** SIGKILL one process mid-run (in-flight requests die with it), then start it again. */
  async function killAndRestart(index: number): Promise<void> {
    const gateway = gateways[index] as GatewayProcess;
    pool.urls[index] = null; // the load balancer stops sending it new requests
    if (gateway.process.exitCode !== null || gateway.process.signalCode !== null) {
      crashes.push(gateway.output.join('').slice(-2000));
    } else {
      const exited = new Promise((resolve) => gateway.process.once('exit', resolve));
      killed = { gateway: index, at: Date.now() };
      gateway.process.kill('SIGKILL');
      await exited;
    }
    debug('killed');
    gateways[index] = await startGatewayProcess(env, ports[index] as number);
    pool.urls[index] = gateways[index].url;
    restarts.gateway++;
    debug('gateway restarted');
  }
});

const debug = (text: string) => {
  if (process.env.FAULTS_DEBUG) console.error(text);
};
