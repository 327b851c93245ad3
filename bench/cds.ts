/**
 * `npm run bench:cds`: what the CDS Hooks relay adds, on each engine. Loopback only.
 *
 * Per engine it starts a gateway (`chartside serve` on a fresh SQLite file or PostgreSQL
 * database, the production lookup cache, the CDS rate limiter on but far above the benchmark's
 * rate) as a child process; in this process a fake EHR key set and a fake app CDS service
 * answering one card. Then, one request at a time (latency without queueing), in alternating
 * rounds:
 *   direct   POST <app>/cds-services/bench                          (the app alone)
 *   relay    POST <gateway>/api/cds/<org>/cds-services/bench         (EHR JWT checked, jti stored,
 *            our JWT signed, app called, cards checked)
 * and then, with the connection's CDS caching on, every request a cache hit:
 *   cached   the relay answering from its cache
 * and prints p50/p99 of each, the relay's added p50/p99 (relay − direct) and the cache hit.
 * Targets (issue 17): added p99 ≤ 5 ms, cache hit ≤ 1 ms (p50 of the whole request).
 *
 * Environment: BENCH_ENGINES (default sqlite,postgres), BENCH_REQUESTS (measured requests per
 * target, default 2000), BENCH_ROUNDS (default 3), BENCH_EHR_ALG (the EHR's JWT algorithm,
 * RS384 as Epic signs, or ES384; P-384 verification costs about 0.8 ms more per request),
 * BENCH_LOG_LEVEL (gateway, default warn). Raw figures go to bench-results/cds-<timestamp>.json.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { addTrustedCdsIssuer } from '../src/cds/issuers.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { setConnection } from '../src/settings/connections.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import type { TestEngine } from '../test/support/databases.ts';
import { runAlone } from './support/alone.ts';
import { isEntryPoint, list, positive } from './support/cli.ts';
import { type Gateway, startGateway } from './support/gateway.ts';
import { percentile } from './support/stats.ts';
import { table } from './support/table.ts';
import { type CdsFigures, type Check, cdsChecks } from './support/targets.ts';

const WARMUP = 200;
const LOOKUP_CACHE_MS = 2000;
const ISSUER = 'https://cds-hooks.bench.example';
const CARD = { summary: 'Bench card', indicator: 'info', source: { label: 'Bench' } };
const HOOK = {
  hook: 'patient-view',
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/1', patientId: '12742400' },
  prefetch: {
    patient: { resourceType: 'Patient', id: '12742400', name: [{ family: 'PETERS', given: ['Tim'] }] },
  },
};

export interface CdsSettings {
  readonly engines: readonly TestEngine[];
  readonly requests: number;
  readonly rounds: number;
  readonly ehrAlg: 'RS384' | 'ES384';
  readonly logLevel: string;
}

export function cdsSettings(env: NodeJS.ProcessEnv): CdsSettings {
  return {
    engines: list(env.BENCH_ENGINES, 'sqlite,postgres') as TestEngine[],
    requests: Math.floor(positive(env.BENCH_REQUESTS, 2000)),
    rounds: Math.floor(positive(env.BENCH_ROUNDS, 3)),
    ehrAlg: env.BENCH_EHR_ALG === 'ES384' ? 'ES384' : 'RS384',
    logLevel: env.BENCH_LOG_LEVEL ?? 'warn',
  };
}

interface Latency {
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
}

export interface CdsResult extends CdsFigures {
  readonly direct: Latency;
  readonly relay: Latency;
  readonly cached: Latency;
  readonly addedP50: number;
}

export interface CdsResults {
  readonly settings: CdsSettings;
  readonly results: CdsResult[];
}

/** The fake EHR's key set at `/jwk` and the app's CDS service (one card) everywhere else. */
interface FakeEhrAndApp {
  readonly origin: string;
  readonly server: Server;
  sign(audience: string): Promise<string>;
}

async function startFakeEhrAndApp(alg: 'RS384' | 'ES384'): Promise<FakeEhrAndApp> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = randomUUID();
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] });
  const body = JSON.stringify({ cards: [CARD] });
  const server = createServer((request, response) => {
    if (request.url === '/jwk') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      return;
    }
    request.resume();
    request.on('end', () =>
      response
        .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        .end(body),
    );
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    sign: (audience) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg, kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

type Expect = 'ok' | 'hit';

/** Sequential requests; the EHR's JWTs are signed beforehand (the EHR's cost, not ours). */
async function run(fake: FakeEhrAndApp, url: string, audience: string, count: number, expect: Expect) {
  const tokens = await Promise.all(Array.from({ length: count }, () => fake.sign(audience)));
  const payload = JSON.stringify(HOOK);
  const times: number[] = [];
  for (const token of tokens) {
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: payload,
    });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`${url}: unexpected status ${response.status}`);
    if (expect === 'hit' && response.headers.get('x-chartside-cds-cache') !== 'hit')
      throw new Error('expected a cache hit');
  }
  return times;
}

function latency(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b);
  return { requests: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

async function measureEngine(
  settings: CdsSettings,
  fake: FakeEhrAndApp,
  engine: TestEngine,
): Promise<CdsResult> {
  const gateway: Gateway<{ orgId: string }> = await startGateway({
    engine,
    logLevel: settings.logLevel,
    env: () => ({
      CHARTSIDE_ENV: 'test',
      CHARTSIDE_LOOKUP_CACHE_MS: String(LOOKUP_CACHE_MS),
      // Test mode leaves the limiter out; production has it, so it is on, far above the rate.
      CHARTSIDE_RATE_LIMIT_CDS_PER_MINUTE: '1000000',
    }),
    seed: async (db, config) => {
      const org = await createOrganization(db, { name: 'Bench Clinic' });
      await setConnection(db, createSealer(config.masterKey), config, org.id, 'cerner', {
        cdsEndpoint: fake.origin,
      });
      await addTrustedCdsIssuer(db, config, org.id, { issuer: ISSUER, jwksUrl: `${fake.origin}/jwk` });
      return { orgId: org.id };
    },
  });
  try {
    const path = `/api/cds/${gateway.seed.orgId}/cds-services/bench`;
    // The EHR signs for the URL it calls, the gateway's public one (here its origin too).
    const relay = { url: `${gateway.origin}${path}`, audience: `${gateway.config.publicUrl}${path}` };
    const direct = { url: `${fake.origin}/cds-services/bench`, audience: relay.audience };
    // Round r takes its share of the requests, so each target gets exactly `settings.requests`.
    const share = (round: number) =>
      Math.floor(((round + 1) * settings.requests) / settings.rounds) -
      Math.floor((round * settings.requests) / settings.rounds);
    await run(fake, direct.url, direct.audience, WARMUP, 'ok');
    await run(fake, relay.url, relay.audience, WARMUP, 'ok');
    const times = { direct: [] as number[], relay: [] as number[], cached: [] as number[] };
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? (['direct', 'relay'] as const) : (['relay', 'direct'] as const);
      for (const target of order) {
        const { url, audience } = target === 'direct' ? direct : relay;
        times[target].push(...(await run(fake, url, audience, share(round), 'ok')));
      }
    }
    const database = gateway.openDatabase();
    try {
      await setConnection(
        database.db,
        createSealer(gateway.config.masterKey),
        gateway.config,
        gateway.seed.orgId,
        'cerner',
        {
          cdsCaching: true,
        },
      );
    } finally {
      await database.close();
    }
    // The gateway reads the connection again once its lookup cache has let it go.
    await new Promise((resolve) => setTimeout(resolve, LOOKUP_CACHE_MS + 200));
    await run(fake, relay.url, relay.audience, 1, 'ok'); // fills the cache
    await run(fake, relay.url, relay.audience, WARMUP, 'hit');
    times.cached.push(...(await run(fake, relay.url, relay.audience, settings.requests, 'hit')));
    const figures = {
      direct: latency(times.direct),
      relay: latency(times.relay),
      cached: latency(times.cached),
    };
    const result: CdsResult = {
      engine,
      ...figures,
      addedP50: figures.relay.p50 - figures.direct.p50,
      addedP99: figures.relay.p99 - figures.direct.p99,
      cacheHitP50: figures.cached.p50,
    };
    console.log(formatCdsResult(result, settings));
    return result;
  } finally {
    await gateway.stop();
  }
}

export function formatCdsResult(result: CdsResult, settings: CdsSettings): string {
  const row = (name: string, figures: Latency) => [name, figures.p50.toFixed(2), figures.p99.toFixed(2)];
  return [
    `\n${result.engine} · CDS Hooks relay, ${result.relay.requests} sequential requests per target ` +
      `(loopback, one card, EHR JWT ${settings.ehrAlg})`,
    table(
      ['target', 'p50 ms', 'p99 ms'],
      [
        row('direct (app alone)', result.direct),
        row('relay (no cache)', result.relay),
        row('relay (cache hit)', result.cached),
        ['added by the relay', result.addedP50.toFixed(2), result.addedP99.toFixed(2)],
      ],
    ),
  ].join('\n');
}

export async function runCdsBench(settings: CdsSettings): Promise<CdsResults> {
  console.log(
    `\nChartside CDS Hooks relay benchmark: engines ${settings.engines.join('/')}, ${settings.requests} ` +
      `requests per target in ${settings.rounds} alternating rounds, gateway log level ${settings.logLevel}`,
  );
  const fake = await startFakeEhrAndApp(settings.ehrAlg);
  try {
    const results: CdsResult[] = [];
    for (const engine of settings.engines) results.push(await measureEngine(settings, fake, engine));
    return { settings, results };
  } finally {
    fake.server.closeAllConnections();
    fake.server.close();
  }
}

export const cdsResultChecks = (results: CdsResults): Check[] => cdsChecks(results.results);

if (isEntryPoint(import.meta.url)) {
  runAlone({
    kind: 'cds',
    run: () => runCdsBench(cdsSettings(process.env)),
    checks: cdsResultChecks,
    failed: () => false,
  });
}
