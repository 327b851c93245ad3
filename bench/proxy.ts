/**
 * `npm run bench:proxy`: what the FHIR proxy costs. Loopback only, bounded (about a minute).
 *
 * Starts the local Cerner sandbox and a gateway (`chartside serve`, SQLite) as child processes on
 * 127.0.0.1, makes one EHR launch, then measures with autocannon, in the same run:
 *   direct  GET <sandbox>/r4/<tenant>/<path>        with the launch's EHR access token
 *   proxy   GET <gateway>/fhir/<launch id>/<path>    with the app's API key
 * for a Patient read and a paged Observation search, each at saturation (throughput) and at a
 * fixed moderate rate (latency without queueing), and prints req/s, p50, p99 and the ratios.
 * Targets: proxy ≥ 0.9× direct throughput, ≤ 2 ms added p99.
 *
 * Environment: BENCH_DURATION (seconds per measurement, default 8), BENCH_CONNECTIONS (default
 * 10), BENCH_RATE (requests/s of the latency runs, default 200), BENCH_LOG_LEVEL (gateway log
 * level, default warn), BENCH_PROFILE (a folder: write CPU profiles of the gateway and sandbox),
 * BENCH_LOOKUP_CACHE_MS (the gateway's CHARTSIDE_LOOKUP_CACHE_MS, default 2000 as in production).
 *
 * A third target, the bare pass-through (pass-through-proxy.ts), shows what any extra Node hop
 * costs on this machine: the gateway's throughput is also reported against it.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createApiKey } from '../src/api/api-keys.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { tokenContext } from '../src/launch/ehr-launches.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../src/launch/urls.ts';
import { setConnection } from '../src/settings/connections.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { cpuMs, freePort, positive, startNode, stop, waitFor } from './support/processes.ts';

const bin = fileURLToPath(new URL('../bin/chartside.js', import.meta.url));
const passThrough = fileURLToPath(new URL('./pass-through-proxy.ts', import.meta.url));
const DURATION = positive(process.env.BENCH_DURATION, 8);
const CONNECTIONS = positive(process.env.BENCH_CONNECTIONS, 10);
const RATE = positive(process.env.BENCH_RATE, 200);
const WARMUP_SECONDS = 2;

/** BENCH_PROFILE=<folder>: a V8 CPU profile of each child (open it in Chrome DevTools). */
function start(name: string, script: string, args: string[], env: NodeJS.ProcessEnv) {
  return startNode(name, script, args, {
    env,
    nodeArgs: ['--import', 'tsx'],
    ...(process.env.BENCH_PROFILE ? { profileDir: process.env.BENCH_PROFILE } : {}),
  });
}
const TENANT = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
const SCENARIOS = [
  { name: 'Patient read', path: 'Patient/12742400' },
  {
    name: 'Observation search (5 of 12)',
    path: 'Observation?patient=12742400&category=vital-signs&_count=5',
  },
];

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  /** CPU milliseconds per request spent by the gateway and by the sandbox (Linux only). */
  gatewayCpu: number;
  sandboxCpu: number;
}

/** One autocannon run. Latencies come from each response's own timer (sub-millisecond). */
async function measure(
  url: string,
  headers: Record<string, string>,
  options: { rate?: number; seconds: number },
  pids: { gateway?: number; sandbox?: number },
) {
  const latencies: number[] = [];
  const cpuBefore = [cpuMs(pids.gateway), cpuMs(pids.sandbox)];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        headers,
        connections: options.rate ? 1 : CONNECTIONS,
        duration: options.seconds,
        ...(options.rate ? { overallRate: options.rate } : {}),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status < 400) latencies.push(responseTime);
    });
  });
  const requests = result.requests.total;
  const gatewayCpu = (cpuMs(pids.gateway) - (cpuBefore[0] as number)) / requests;
  const sandboxCpu = (cpuMs(pids.sandbox) - (cpuBefore[1] as number)) / requests;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return {
    requestsPerSecond: result.requests.average,
    p50: at(0.5),
    p99: at(0.99),
    failures: result.non2xx + result.errors + result.timeouts,
    gatewayCpu,
    sandboxCpu,
  } satisfies Measurement;
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'chartside-bench-'));
  const masterKey = randomBytes(32);
  const [gatewayPort, sandboxPort, ceilingPort] = [await freePort(), await freePort(), await freePort()];
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const sandboxOrigin = `http://127.0.0.1:${sandboxPort}`;
  const fhirBase = `${sandboxOrigin}/r4/${TENANT}`;
  const env = {
    PATH: process.env.PATH,
    CHARTSIDE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(gatewayPort),
    PUBLIC_URL: gatewayUrl,
    DATABASE_URL: `sqlite:${join(folder, 'chartside.db')}`,
    CHARTSIDE_DATA_DIR: folder,
    CHARTSIDE_MASTER_KEY: masterKey.toString('base64'),
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
    // Test mode turns the lookup cache off; measure with the production default (2000 ms).
    CHARTSIDE_LOOKUP_CACHE_MS: process.env.BENCH_LOOKUP_CACHE_MS ?? '2000',
  };
  const children: ChildProcess[] = [];
  try {
    // Seed the gateway's database as an operator would.
    const config = loadConfig(env);
    const database = openDatabase(env.DATABASE_URL);
    await migrateToLatest(database);
    const org = await createOrganization(database.db, { name: 'Bench Clinic' });
    const clientId = randomUUID();
    const clientSecret = randomBytes(24).toString('base64url');
    const source = await addFhirSource(database.db, {
      iss: fhirBase,
      vendor: 'cerner',
      environment: 'sandbox',
    });
    await linkOrgToSource(database.db, { orgId: org.id, sourceId: source.id, actor: 'bench' });
    await setConnection(database.db, createSealer(masterKey), config, org.id, 'cerner', {
      appLaunchUrl: 'https://app.example.org/launch',
      useCustomCredentials: true,
      clientId,
      clientSecret,
    });
    const { key: apiKey } = await createApiKey(database.db, org.id, 'bench');

    const sandboxConfig = join(folder, 'sandbox.json');
    writeFileSync(
      sandboxConfig,
      JSON.stringify({
        host: '127.0.0.1',
        publicOrigin: sandboxOrigin,
        tenant: TENANT,
        testControls: true,
        accessTokenLifetimeSeconds: 3600,
        apps: [
          {
            name: 'Chartside bench',
            applicationId: randomUUID(),
            clientId,
            secret: clientSecret,
            jwksUrl: jwksUrl(config),
            redirectUris: [callbackUrl(config)],
            launchUri: launchUrl(config, org.id),
            accessType: 'offline',
            scopes: [
              'openid',
              'fhirUser',
              'launch',
              'online_access',
              'user/Patient.read',
              'user/Encounter.read',
              'user/Observation.read',
            ],
          },
        ],
      }),
    );
    const sandbox = start(
      'sandbox',
      bin,
      ['sandbox', '--config', sandboxConfig, '--port', String(sandboxPort)],
      env,
    );
    children.push(sandbox);
    const gateway = start('gateway', bin, ['serve'], env);
    children.push(gateway);
    await Promise.all([waitFor(`${fhirBase}/metadata`, sandbox), waitFor(`${gatewayUrl}/health`, gateway)]);

    // One launch, hop by hop, as a browser would.
    const launch = (await (
      await fetch(`${sandboxOrigin}/_test/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: clientId, patient: '12742400', encounter: '97953530' }),
      })
    ).json()) as { launch_url: string; session_cookie: string };
    const toEhr = await fetch(launch.launch_url, { redirect: 'manual' });
    const authorize = await fetch(toEhr.headers.get('location') as string, {
      redirect: 'manual',
      headers: { cookie: launch.session_cookie },
    });
    const callback = await fetch(authorize.headers.get('location') as string, { redirect: 'manual' });
    const launchId = new URL(callback.headers.get('location') as string).searchParams.get('mb_launch');
    if (!launchId) throw new Error(`the launch did not complete (${callback.status})`);
    const row = await database.db
      .selectFrom('ehr_launch')
      .select('access_token')
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    const ehrToken = createSealer(masterKey).open(
      row.access_token as string,
      tokenContext(launchId, 'access_token'),
    );
    await database.close();
    const ceiling = start('pass-through', passThrough, [], {
      PATH: process.env.PATH,
      PASS_THROUGH_PORT: String(ceilingPort),
      PASS_THROUGH_TARGET: fhirBase,
      PASS_THROUGH_TOKEN: ehrToken,
    });
    children.push(ceiling);
    await waitFor(`http://127.0.0.1:${ceilingPort}/metadata`, ceiling);

    const targets = {
      direct: {
        base: `${fhirBase}/`,
        headers: { authorization: `Bearer ${ehrToken}`, accept: 'application/fhir+json' },
      },
      proxy: {
        base: `${gatewayUrl}/fhir/${launchId}/`,
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/fhir+json' },
      },
      /** The bare pass-through (pass-through-proxy.ts): what any extra Node hop costs here. */
      'pass-through': {
        base: `http://127.0.0.1:${ceilingPort}/`,
        headers: { accept: 'application/fhir+json' },
      },
    };
    console.log(
      `Chartside FHIR proxy benchmark: ${DURATION} s per run, ${CONNECTIONS} connections at saturation, ` +
        `${RATE} req/s for latency, gateway log level ${env.LOG_LEVEL}, node ${process.version}\n`,
    );
    const pids = (target: keyof typeof targets) => ({
      gateway: target === 'pass-through' ? ceiling.pid : gateway.pid,
      sandbox: sandbox.pid,
    });
    const run = (target: keyof typeof targets, path: string, options: { seconds: number; rate?: number }) =>
      measure(targets[target].base + path, targets[target].headers, options, pids(target));
    const rows: string[][] = [];
    const verdicts: string[] = [];
    for (const scenario of SCENARIOS) {
      await run('direct', scenario.path, { seconds: WARMUP_SECONDS });
      await run('proxy', scenario.path, { seconds: WARMUP_SECONDS });
      await run('pass-through', scenario.path, { seconds: WARMUP_SECONDS });
      const saturated = {
        direct: await run('direct', scenario.path, { seconds: DURATION }),
        proxy: await run('proxy', scenario.path, { seconds: DURATION }),
        'pass-through': await run('pass-through', scenario.path, { seconds: DURATION }),
      };
      const paced = {
        direct: await run('direct', scenario.path, { seconds: DURATION / 2, rate: RATE }),
        proxy: await run('proxy', scenario.path, { seconds: DURATION / 2, rate: RATE }),
      };
      for (const [load, runs] of [
        ['saturation', saturated],
        [`${RATE} req/s`, paced],
      ] as const) {
        for (const [name, result] of Object.entries(runs)) {
          rows.push([
            scenario.name,
            load,
            name,
            result.requestsPerSecond.toFixed(0),
            result.p50.toFixed(2),
            result.p99.toFixed(2),
            String(result.failures),
            name === 'direct' ? '-' : result.gatewayCpu.toFixed(3),
            result.sandboxCpu.toFixed(3),
          ]);
        }
      }
      const ratio = saturated.proxy.requestsPerSecond / saturated.direct.requestsPerSecond;
      const ceilingRatio = saturated['pass-through'].requestsPerSecond / saturated.direct.requestsPerSecond;
      const addedSaturated = saturated.proxy.p99 - saturated.direct.p99;
      const addedPaced = paced.proxy.p99 - paced.direct.p99;
      const addedP50 = paced.proxy.p50 - paced.direct.p50;
      verdicts.push(
        `${scenario.name}: throughput ratio ${ratio.toFixed(2)}× (target ≥ 0.90: ${ratio >= 0.9 ? 'met' : 'missed'}); ` +
          `added p99 ${addedPaced.toFixed(2)} ms at ${RATE} req/s (target ≤ 2 ms: ${addedPaced <= 2 ? 'met' : 'missed'}), ` +
          `${addedSaturated.toFixed(2)} ms at saturation; added p50 ${addedP50.toFixed(2)} ms at ${RATE} req/s; ` +
          `the bare pass-through reaches ${ceilingRatio.toFixed(2)}× direct, so the gateway gets ` +
          `${(ratio / ceilingRatio).toFixed(2)}× of what any Node proxy gets here`,
      );
    }
    const header = [
      'scenario',
      'load',
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'failed',
      'proxy CPU ms/req',
      'EHR CPU ms/req',
    ];
    const widths = header.map((title, i) =>
      Math.max(title.length, ...rows.map((row) => (row[i] as string).length)),
    );
    const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    console.log(`\n${verdicts.join('\n')}`);
    console.log(
      `\nThis machine: ${availableParallelism()} CPUs shared by autocannon, the sandbox and the gateway ` +
        `(load average ${loadavg()[0]?.toFixed(2)} at the end).`,
    );
  } finally {
    await Promise.all(children.map(stop));
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
