/**
 * Scale-out, as the README's "Running in production" describes it: three `chartside serve`
 * processes on one PostgreSQL behind a round-robin load balancer (PUBLIC_URL = the balancer), the
 * local Cerner sandbox as the EHR. A launch's first hop, the EHR's authorize and the callback land
 * on different processes, so everything a launch needs must be in the database. Every launch the
 * driver starts must end in exactly one of `ready` or `failed` (with its reason), none pending,
 * none duplicated, none lost; reads at token expiry refresh each launch once across processes;
 * and a rolling restart loses no request.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { sha256Hex } from '../src/crypto/random.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { migrationProvider } from '../src/db/migrations/index.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { auditEvents, proxyFetch, sandboxCounts } from './support/fhir-proxy.ts';
import { type GatewayProcess, startGatewayProcess, stopGatewayProcesses } from './support/gateway-process.ts';
import { authorizeAtEhr } from './support/launch-driver.ts';
import { freePort } from './support/ports.ts';
import { type RoundRobin, startRoundRobin } from './support/round-robin.ts';
import { clearFaults, clearRecordedRequests, sandboxLaunch, setFaults } from './support/sandbox-controls.ts';
import { type SeededTenant, seedSandboxTenant } from './support/stack.ts';

const LAUNCHES = 60;
const CONCURRENCY = 12;
/** Synthetic patients and their launch encounters: a launch must come back with its own. */
const PATIENTS = [
  ['12724066', '97953477'],
  ['12724065', '97953483'],
  ['12724067', '97953480'],
  ['12742400', '97953530'],
] as const;

interface DrivenLaunch {
  patient: string;
  /** Hash of the `state` we sent to the EHR: finds the launch's row without trusting the gateway. */
  stateHash: string;
  launchHop: string;
  callbackHop: string;
  /** The mb_launch handle (302 to the app) … */
  launchId: string | null;
  /** … or the error page's status and code. */
  failure: { status: number; code: string | null } | null;
}

/** Run `task` `count` times, at most `concurrency` at once. */
async function inPool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

describe('three gateway processes behind a round-robin load balancer on one PostgreSQL', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let balancer: RoundRobin;
  let tenant: SeededTenant;
  let gateways: GatewayProcess[] = [];
  let env: NodeJS.ProcessEnv;
  const driven: DrivenLaunch[] = [];

  /** sandbox launcher → balancer → EHR authorize → balancer (callback) → the app. */
  async function driveLaunch(index: number): Promise<DrivenLaunch> {
    const [patient, encounter] = PATIENTS[index % PATIENTS.length] as readonly [string, string];
    const ehrLaunch = await sandboxLaunch(tenant.sandbox, tenant.clientId, { patient, encounter });
    assert.ok(ehrLaunch.launch_url.startsWith(balancer.url), 'the EHR calls the public URL');
    const started = await fetch(ehrLaunch.launch_url, { redirect: 'manual' });
    assert.equal(started.status, 302, await started.text());
    const authorizeUrl = new URL(started.headers.get('location') as string);
    const callbackUrl = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
    const finished = await fetch(callbackUrl, { redirect: 'manual' });
    const page = await finished.text();
    const launch: DrivenLaunch = {
      patient,
      stateHash: sha256Hex(authorizeUrl.searchParams.get('state') as string),
      launchHop: started.headers.get('x-served-by') as string,
      callbackHop: finished.headers.get('x-served-by') as string,
      launchId: null,
      failure: null,
    };
    if (finished.status === 302) {
      launch.launchId = new URL(finished.headers.get('location') as string).searchParams.get('mb_launch');
    } else {
      launch.failure = {
        status: finished.status,
        code: /token_exchange_failed|invalid_state/.exec(page)?.[0] ?? null,
      };
    }
    driven.push(launch);
    return launch;
  }

  const ready = () => driven.filter((launch) => launch.launchId !== null);

  before(async () => {
    database = await createTestDatabase('postgres');
    balancer = await startRoundRobin();
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      PUBLIC_URL: balancer.url,
      TRUST_PROXY: 'true',
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      // Longer than the balancer's 100 ms health checks: it stops routing before we stop listening.
      CHARTSIDE_SHUTDOWN_DRAIN_MS: '1000',
      LOG_LEVEL: 'warn',
    };
    // All three start at once on the empty database (migrations, first signing keys), and the
    // operator's seeding below migrates too: four at once.
    const starting = Promise.all(ports.map((port) => startGatewayProcess(env, port)));
    starting.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
    const config = loadConfig({ ...env, PORT: String(ports[0]) });
    handle = openDatabase(database.url, { poolSize: 4 });
    await migrateToLatest(handle);
    // private_key_jwt: the EHR fetches our JWKS through the balancer, from any process.
    tenant = await seedSandboxTenant({ db: handle.db, sealer: createSealer(config.masterKey) }, config, {
      authMethod: 'private_key_jwt',
    });
    gateways = await starting;
    for (const gateway of gateways) await balancer.add(gateway.url);
  });

  after(async () => {
    await stopGatewayProcesses();
    await balancer?.close();
    await tenant?.sandbox.close();
    await handle?.close();
    await database?.drop();
  });

  it('processes started together on a fresh database agree on the schema and one set of signing keys', async () => {
    const migrations = await handle.db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .execute();
    assert.equal(migrations.length, Object.keys(await migrationProvider('postgres').getMigrations()).length);
    const keys = await handle.db.selectFrom('signing_key').select(['kid', 'alg']).execute();
    assert.deepEqual(keys.map((key) => key.alg).sort(), ['ES384', 'RS384'], 'one key per algorithm');
    for (const gateway of gateways) {
      const jwks = (await (await fetch(`${gateway.url}/api/auth/.well-known/jwks`)).json()) as {
        keys: { kid: string }[];
      };
      assert.deepEqual(
        jwks.keys.map((key) => key.kid).sort(),
        keys.map((key) => key.kid).sort(),
        `${gateway.url} publishes the same JWKS`,
      );
    }
  });

  it(`${LAUNCHES} concurrent launches, their hops on different processes, all end ready`, async () => {
    const launches = await inPool(LAUNCHES, CONCURRENCY, driveLaunch);
    assert.deepEqual(
      launches.filter((launch) => launch.failure),
      [],
      'every launch reached the app',
    );
    const crossed = launches.filter((launch) => launch.launchHop !== launch.callbackHop);
    assert.ok(crossed.length >= LAUNCHES / 3, `${crossed.length} launches finished on another process`);
    for (const gateway of gateways) {
      assert.ok(
        launches.some((launch) => launch.launchHop === gateway.url),
        `${gateway.url} started launches`,
      );
      assert.ok(
        launches.some((launch) => launch.callbackHop === gateway.url),
        `${gateway.url} finished launches`,
      );
    }
  });

  it('an EHR token endpoint failing ends each launch failed with its reason, on whichever process', async () => {
    await setFaults(tenant.sandbox, { token: 'http_500' });
    try {
      const launches = await inPool(6, 6, (index) => driveLaunch(LAUNCHES + index));
      for (const launch of launches) {
        assert.deepEqual(launch.failure, { status: 502, code: 'token_exchange_failed' });
      }
    } finally {
      await clearFaults(tenant.sandbox);
    }
  });

  it('context and FHIR reads through the balancer answer every launch with its own patient', async () => {
    const answers = await inPool(ready().length, CONCURRENCY, async (index) => {
      const launch = ready()[index] as DrivenLaunch;
      const context = await fetch(`${balancer.url}/launch-contexts/${launch.launchId}`, {
        headers: { authorization: `Bearer ${tenant.apiKey}` },
      });
      const body = (await context.json()) as { status: string; patient: string };
      assert.equal(context.status, 200);
      assert.deepEqual([body.status, body.patient], ['ready', `Patient/${launch.patient}`]);
      const fhir = await proxyFetch(
        balancer.url,
        tenant.apiKey,
        launch.launchId as string,
        `Patient/${launch.patient}`,
      );
      assert.equal(fhir.response.status, 200, JSON.stringify(fhir.body));
      assert.equal(fhir.body?.id, launch.patient);
      return [context.headers.get('x-served-by'), fhir.response.headers.get('x-served-by')];
    });
    const servers = new Set(answers.flat());
    assert.equal(servers.size, 3, 'reads were spread over all three processes');
  });

  it('reads at token expiry, spread over the processes, refresh each launch exactly once', async () => {
    const launches = ready();
    await handle.db
      .updateTable('ehr_launch')
      .set({ token_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where(
        'id',
        'in',
        launches.map((launch) => launch.launchId as string),
      )
      .execute();
    await clearRecordedRequests(tenant.sandbox);
    // Three reads per launch, side by side: the balancer sends them to three different processes.
    const reads = launches.flatMap((launch) => [launch, launch, launch]);
    const statuses = await inPool(reads.length, CONCURRENCY, async (index) => {
      const launch = reads[index] as DrivenLaunch;
      const { response } = await proxyFetch(
        balancer.url,
        tenant.apiKey,
        launch.launchId as string,
        `Patient/${launch.patient}`,
      );
      return response.status;
    });
    assert.deepEqual(statuses, Array(reads.length).fill(200));
    assert.equal(
      (await sandboxCounts(tenant.sandbox)).refresh_token,
      launches.length,
      'one refresh call per launch',
    );
    const refreshed = await auditEvents(handle.db, { action: 'token.refreshed' });
    const perLaunch = new Map<string, number>();
    for (const row of refreshed)
      perLaunch.set(row.launch_id as string, (perLaunch.get(row.launch_id as string) ?? 0) + 1);
    for (const launch of launches)
      assert.equal(perLaunch.get(launch.launchId as string), 1, launch.launchId as string);
  });

  it('a rolling restart (SIGTERM one process, start a replacement) loses no request', async (t) => {
    const leaving = gateways[0] as GatewayProcess;
    const servedBefore = balancer.served.get(leaving.url) ?? 0;
    let stop = false;
    const outcomes: string[] = [];
    let launchIndex = LAUNCHES + 6;
    const traffic = async () => {
      while (!stop) {
        const launch = await driveLaunch(launchIndex++);
        outcomes.push(launch.failure ? `launch ${launch.failure.status}` : 'ok');
        if (!launch.launchId) continue;
        const context = await fetch(`${balancer.url}/launch-contexts/${launch.launchId}`, {
          headers: { authorization: `Bearer ${tenant.apiKey}` },
        });
        outcomes.push(context.status === 200 ? 'ok' : `context ${context.status}`);
        const fhir = await proxyFetch(
          balancer.url,
          tenant.apiKey,
          launch.launchId,
          `Patient/${launch.patient}`,
        );
        outcomes.push(fhir.response.status === 200 ? 'ok' : `fhir ${fhir.response.status}`);
      }
    };
    const running = Promise.all(Array.from({ length: 6 }, traffic));
    try {
      const replacement = await startGatewayProcess(env, await freePort());
      await balancer.add(replacement.url);
      const exited = once(leaving.process, 'exit') as Promise<[number | null]>;
      leaving.process.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, leaving.output.join(''));
      balancer.remove(leaving.url);
      // Keep the traffic going until the replacement has carried some of it.
      while ((balancer.served.get(replacement.url) ?? 0) < 20)
        await new Promise((resolve) => setTimeout(resolve, 50));
      gateways = [...gateways.slice(1), replacement];
    } finally {
      stop = true;
      await running;
    }
    assert.ok(
      (balancer.served.get(leaving.url) ?? 0) > servedBefore,
      'the leaving process served during the run',
    );
    assert.deepEqual(
      outcomes.filter((outcome) => outcome !== 'ok'),
      [],
      `${outcomes.length} requests`,
    );
    assert.equal(balancer.failed, 0, 'the balancer always found a process');
    t.diagnostic(`${outcomes.length} requests during the restart; the balancer retried ${balancer.retried}`);
  });

  it('every launch the driver started is accounted for: one row each, ready or failed as seen, none pending', async () => {
    const rows = await handle.db
      .selectFrom('ehr_launch')
      .innerJoin('launch_state', 'launch_state.launch_id', 'ehr_launch.id')
      .select(['ehr_launch.id', 'ehr_launch.status', 'ehr_launch.error_code', 'ehr_launch.patient_fhir_id'])
      .select('launch_state.state_hash')
      .execute();
    const allRows = await handle.db.selectFrom('ehr_launch').select(['id', 'status']).execute();
    assert.equal(allRows.length, driven.length, 'one row per launch started: none lost, none duplicated');
    assert.deepEqual(
      allRows.filter((row) => row.status === 'pending'),
      [],
      'none pending',
    );
    const byState = new Map(rows.map((row) => [row.state_hash, row]));
    for (const launch of driven) {
      const row = byState.get(launch.stateHash);
      assert.ok(row, 'the launch has its row');
      if (launch.launchId) {
        assert.deepEqual(
          [row.id, row.status, row.patient_fhir_id],
          [launch.launchId, 'ready', launch.patient],
        );
      } else {
        assert.deepEqual([row.status, row.error_code], ['failed', launch.failure?.code]);
      }
    }
  });
});
