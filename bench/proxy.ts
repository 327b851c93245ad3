/**
 * `npm run bench:proxy`: what the FHIR proxy costs, on each engine. Loopback only.
 *
 * Per engine it starts the local Cerner sandbox, a gateway (`chartside serve` on a fresh SQLite
 * file or PostgreSQL database, the production lookup cache, the FHIR rate limiter on but far
 * above the benchmark's rate) and the pass-through floor (bench/pass-through-proxy.ts: the same
 * relay without key check, token lookup or audit) as child processes on 127.0.0.1, makes one EHR
 * launch, then measures with autocannon, in alternating rounds at fixed rates (200 and 1,000
 * requests/s: latency without queueing):
 *   direct        GET <sandbox>/r4/<tenant>/<path>        with the launch's EHR access token
 *   proxy         GET <gateway>/fhir/<launch id>/<path>    with the app's API key
 *   pass-through  GET <floor>/<path>
 * for a Patient read and a paged Observation search; and prints req/s, p50, p99, CPU ms per
 * request of the relaying process and of the sandbox (from /proc), and the gateway's database
 * queries per request (its own counter, read from /metrics outside the CPU window).
 * Targets (issue 17): gateway CPU per request ≤ 1.5× the pass-through's; added p99 (proxy −
 * direct) ≤ 1 ms at 200 and at 1,000 req/s.
 *
 * Environment: BENCH_ENGINES (default sqlite,postgres), BENCH_DURATION (seconds per run,
 * default 3), BENCH_RATES (default 200,1000), BENCH_ROUNDS (runs per target per rate, default 3;
 * each target takes each place in the rotation once), BENCH_LOG_LEVEL (gateway, default warn),
 * BENCH_SCENARIOS (`read`, `search` or both, default both), BENCH_PROFILE (a folder: CPU profiles
 * of the gateway and the sandbox), BENCH_LOOKUP_CACHE_MS
 * (the gateway's CHARTSIDE_LOOKUP_CACHE_MS, default 2000 as in production).
 * Raw figures go to bench-results/proxy-<timestamp>.json.
 */
import type { TestEngine } from '../test/support/databases.ts';
import {
  type Endpoint,
  measure,
  type Pooled,
  poolRuns,
  type Run,
  TARGETS,
  type Target,
} from './proxy/runs.ts';
import { PATIENT, withStack } from './proxy/stack.ts';
import { runAlone } from './support/alone.ts';
import { isEntryPoint, list, positive } from './support/cli.ts';
import { rotate } from './support/stats.ts';
import { table } from './support/table.ts';
import { type Check, type ProxyCellFigures, proxyChecks } from './support/targets.ts';

const SCENARIOS = [
  { key: 'read', name: 'Patient read', path: `Patient/${PATIENT}` },
  {
    key: 'search',
    name: 'Observation search (5 of 12)',
    path: `Observation?patient=${PATIENT}&category=vital-signs&_count=5`,
  },
];
const WARMUP_SECONDS = 2;

export interface ProxyCell extends ProxyCellFigures {
  readonly byRate: ReadonlyArray<{ readonly rate: number } & Record<Target, Pooled>>;
}

export interface ProxyResults {
  readonly settings: ProxySettings;
  readonly cells: ProxyCell[];
}

export interface ProxySettings {
  readonly engines: readonly TestEngine[];
  readonly seconds: number;
  readonly rates: readonly number[];
  readonly rounds: number;
  readonly logLevel: string;
  readonly profile: string | undefined;
  readonly lookupCacheMs: string;
  readonly scenarios: readonly string[];
}

export function proxySettings(env: NodeJS.ProcessEnv): ProxySettings {
  return {
    engines: list(env.BENCH_ENGINES, 'sqlite,postgres') as TestEngine[],
    seconds: positive(env.BENCH_DURATION, 3),
    rates: list(env.BENCH_RATES, '200,1000').map(Number),
    rounds: Math.floor(positive(env.BENCH_ROUNDS, 3)),
    logLevel: env.BENCH_LOG_LEVEL ?? 'warn',
    profile: env.BENCH_PROFILE || undefined,
    lookupCacheMs: env.BENCH_LOOKUP_CACHE_MS ?? '2000',
    scenarios: list(env.BENCH_SCENARIOS, 'read,search'),
  };
}

async function measureEngine(settings: ProxySettings, engine: TestEngine): Promise<ProxyCell[]> {
  return withStack(settings, engine, async (endpoints, sandbox) => {
    const cells: ProxyCell[] = [];
    const top = Math.max(...settings.rates);
    for (const scenario of SCENARIOS.filter((each) => settings.scenarios.includes(each.key))) {
      const at = (target: Target): Endpoint => ({
        ...endpoints[target],
        url: endpoints[target].url + scenario.path,
      });
      for (const target of TARGETS) await measure(at(target), top, WARMUP_SECONDS, sandbox.pid);
      const byRate: Array<{ rate: number } & Record<Target, Pooled>> = [];
      for (const rate of settings.rates) {
        const runs: Record<Target, Run[]> = { direct: [], proxy: [], 'pass-through': [] };
        for (let round = 0; round < settings.rounds; round++) {
          for (const target of rotate(TARGETS, round)) {
            runs[target].push(await measure(at(target), rate, settings.seconds, sandbox.pid));
          }
        }
        byRate.push({
          rate,
          direct: poolRuns(runs.direct),
          proxy: poolRuns(runs.proxy),
          'pass-through': poolRuns(runs['pass-through']),
        });
      }
      const overRates = (target: 'proxy' | 'pass-through') => {
        const requests = byRate.reduce((sum, row) => sum + row[target].requests, 0);
        const cpu = byRate.reduce(
          (sum, row) => sum + row[target].relayCpuPerRequest * row[target].requests,
          0,
        );
        return cpu / requests;
      };
      const proxyRequests = byRate.reduce((sum, row) => sum + row.proxy.requests, 0);
      const cell: ProxyCell = {
        engine,
        scenario: scenario.name,
        byRate,
        cpuPerRequest: { proxy: overRates('proxy'), passThrough: overRates('pass-through') },
        added: byRate.map((row) => ({ rate: row.rate, p99: row.proxy.p99 - row.direct.p99 })),
        queriesPerRequest:
          byRate.reduce((sum, row) => sum + row.proxy.queriesPerRequest * row.proxy.requests, 0) /
          proxyRequests,
      };
      console.log(formatProxyCell(cell));
      cells.push(cell);
    }
    return cells;
  });
}

export function formatProxyCell(cell: ProxyCell): string {
  const rows = cell.byRate.flatMap((row) =>
    TARGETS.map((target) => {
      const figures = row[target];
      return [
        `${row.rate} req/s`,
        target,
        figures.requestsPerSecond.toFixed(0),
        figures.p50.toFixed(2),
        figures.p99.toFixed(2),
        String(figures.failures),
        target === 'direct' ? '-' : figures.relayCpuPerRequest.toFixed(3),
        target === 'proxy' ? figures.queriesPerRequest.toFixed(2) : '-',
        figures.sandboxCpuPerRequest.toFixed(3),
      ];
    }),
  );
  return [
    `\n${cell.engine} · ${cell.scenario}`,
    table(
      [
        'load',
        'target',
        'req/s',
        'p50 ms',
        'p99 ms',
        'failed',
        'relay CPU ms/req',
        'DB queries/req',
        'EHR CPU ms/req',
      ],
      rows,
    ),
  ].join('\n');
}

export async function runProxyBench(settings: ProxySettings): Promise<ProxyResults> {
  console.log(
    `\nChartside FHIR proxy benchmark: engines ${settings.engines.join('/')}, ${settings.rounds} rounds of ` +
      `${settings.seconds} s per target at ${settings.rates.join(' and ')} req/s, gateway log level ` +
      `${settings.logLevel}, lookup cache ${settings.lookupCacheMs} ms`,
  );
  const cells: ProxyCell[] = [];
  for (const engine of settings.engines) cells.push(...(await measureEngine(settings, engine)));
  return { settings, cells };
}

export const proxyResultChecks = (results: ProxyResults): Check[] => proxyChecks(results.cells);

/** Requests that failed in any run: none is expected. */
export const proxyFailures = (results: ProxyResults): number =>
  results.cells.reduce(
    (sum, cell) =>
      sum + cell.byRate.reduce((each, row) => each + TARGETS.reduce((all, t) => all + row[t].failures, 0), 0),
    0,
  );

if (isEntryPoint(import.meta.url)) {
  runAlone({
    kind: 'proxy',
    run: () => runProxyBench(proxySettings(process.env)),
    checks: proxyResultChecks,
    failed: (results) => proxyFailures(results) > 0,
  });
}
