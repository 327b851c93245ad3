/**
 * `npm run bench`: the three benchmarks in sequence — EHR launches (bench/launch.ts, with a
 * memory soak), the FHIR proxy (bench/proxy.ts) and the CDS Hooks relay (bench/cds.ts) — then
 * one table with every target of issue 17, its figure, and ✔/✘ per engine, client
 * authentication and concurrency cell, and one JSON file in bench-results/ with every raw
 * figure, the date, the machine and the commit. 10 to 14 minutes on a 2-core machine, the more the
 * busier it is.
 *
 * Each benchmark's own variables apply (see the head of each file); the ones to shorten or
 * lengthen a run: BENCH_ONLY (default launch,proxy,cds), BENCH_ENGINES (sqlite,postgres),
 * BENCH_ROUNDS (3, every benchmark), BENCH_LAUNCHES (600 per round), BENCH_CONCURRENCY (10,50),
 * BENCH_AUTH (client_secret_basic,private_key_jwt), BENCH_SOAK (100000 here, Chartside alone:
 * launches of the memory run, 2½ to 5 minutes; 0 leaves it out; BENCH_SOAK_BASELINE=1 runs
 * fhirclient's beside it),
 * BENCH_DURATION (3 s per proxy run), BENCH_RATES (200,1000), BENCH_REQUESTS (2000 per CDS
 * target). For a quick look: BENCH_ROUNDS=1 BENCH_LAUNCHES=100 BENCH_SOAK=0 BENCH_DURATION=1
 * BENCH_REQUESTS=300.
 *
 * After the launch cells it measures the launch's database writes alone, in-process, per engine
 * and concurrency (bench/launch/writes-floor.ts), and prints each cell beside them: the least CPU
 * per launch a gateway doing those writes could reach, and what Chartside spends on the rest.
 */
import { loadavg } from 'node:os';
import { type CdsResults, cdsResultChecks, cdsSettings, runCdsBench } from './cds.ts';
import { measureWritesFloor, type WritesFloor, writesFloorTable } from './launch/writes-floor.ts';
import {
  type LaunchResults,
  launchResultChecks,
  launchSettings,
  reportProblems,
  runLaunchBench,
} from './launch.ts';
import {
  type ProxyResults,
  proxyFailures,
  proxyResultChecks,
  proxySettings,
  runProxyBench,
} from './proxy.ts';
import { isEntryPoint, list } from './support/cli.ts';
import { BUSY_LOAD_AVERAGE, describeMachine, formatMachine } from './support/machine.ts';
import { writeResults } from './support/results.ts';
import { formatChecks } from './support/targets.ts';

/** The memory soak of `npm run bench`: Chartside alone, over the 100,000 launches the target names. */
export const DEFAULT_SOAK = 100_000;
const BENCHMARKS = ['launch', 'proxy', 'cds'] as const;

async function main(): Promise<void> {
  const startedAt = new Date();
  const only = list(process.env.BENCH_ONLY, BENCHMARKS.join(','));
  for (const name of only) {
    if (!(BENCHMARKS as readonly string[]).includes(name))
      throw new Error(`BENCH_ONLY: ${name} is not one of ${BENCHMARKS.join(', ')}`);
  }
  const settings = {
    launch: launchSettings(process.env, { soak: DEFAULT_SOAK, soakBaseline: false }),
    proxy: proxySettings(process.env),
    cds: cdsSettings(process.env),
  };
  const machine = await describeMachine();
  console.log(`npm run bench: ${only.join(', ')} on ${formatMachine(machine)}`);
  const launch: LaunchResults | null = only.includes('launch') ? await runLaunchBench(settings.launch) : null;
  // The launch's database writes alone, per engine and concurrency (bench/launch/writes-floor.ts).
  const writesFloors: WritesFloor[] = [];
  if (launch) {
    for (const engine of settings.launch.engines) {
      for (const concurrency of settings.launch.concurrency) {
        writesFloors.push(
          await measureWritesFloor(engine, {
            launches: Math.max(2000, settings.launch.launches),
            rounds: Math.max(1, settings.launch.rounds),
            concurrency,
          }),
        );
      }
    }
    console.log(`\nWhere a launch's CPU goes: its database writes alone, measured in-process\n`);
    console.log(writesFloorTable(launch.cells, writesFloors));
  }
  const proxy: ProxyResults | null = only.includes('proxy') ? await runProxyBench(settings.proxy) : null;
  const cds: CdsResults | null = only.includes('cds') ? await runCdsBench(settings.cds) : null;
  const loadAtEnd = loadavg();
  const checks = [
    ...(launch ? launchResultChecks(launch) : []),
    ...(proxy ? proxyResultChecks(proxy) : []),
    ...(cds ? cdsResultChecks(cds) : []),
  ];
  console.log(`\nIssue 17's targets, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC:\n`);
  console.log(formatChecks(checks));
  console.log(`\nMachine: ${formatMachine(machine, loadAtEnd)}.`);
  const busiest = Math.max(machine.loadAverage[0] ?? 0, loadAtEnd[0] ?? 0);
  if (busiest > BUSY_LOAD_AVERAGE) {
    console.log(
      `The machine was busy (load average up to ${busiest.toFixed(1)} on ${machine.cores} cores): ` +
        'absolute figures are noisy; the ratios, measured side by side in alternating rounds, less so.',
    );
  }
  const file = writeResults('bench', startedAt, {
    machine,
    loadAverageAtEnd: loadAtEnd,
    settings,
    checks,
    launch,
    writesFloors,
    proxy,
    cds,
  });
  console.log(`Raw figures: ${file}`);
  const failedLaunches = launch ? reportProblems(launch.errors) : false;
  const failedRequests = proxy ? proxyFailures(proxy) : 0;
  if (failedRequests > 0) console.error(`${failedRequests} proxied requests failed.`);
  if (failedLaunches || failedRequests > 0) process.exitCode = 1;
}

if (isEntryPoint(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
