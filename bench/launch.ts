/**
 * `npm run bench:launch`: what a full EHR launch costs through Chartside, against the same
 * launch done by an Express app on fhirclient 2.6.3 (express-session, as its Node docs show),
 * and against the floor: a bare fastify relay doing only the protocol hops.
 *
 * Four processes on 127.0.0.1 besides this driver: a fast EHR stub (bench/launch/ehr-stub.ts),
 * the baseline (bench/launch/fhirclient-baseline.ts), the floor (bench/launch/bare-relay.ts) and
 * `chartside serve` (production mode, fresh database per engine). Each launch: subject launch URL
 * → the EHR's authorize (approves at once) → the subject's callback (code exchange) → stop at the
 * 302 to the app launch URL. Rounds alternate between the subjects, the order rotating from
 * round to round. Per engine × concurrency it prints launches/s, the
 * latency the subject adds (its two hops minus the EHR's token-endpoint time), CPU ms per
 * launch of each process (from /proc), resident memory, and the ratios against the targets.
 *
 * Environment: BENCH_LAUNCHES (per round, default 600), BENCH_CONCURRENCY (default 1,10,50),
 * BENCH_ENGINES (default sqlite,postgres; PostgreSQL on 127.0.0.1:5432, user postgres, a fresh
 * database per run), BENCH_ROUNDS (per subject per cell, default 3: each subject takes each
 * place in the rotation once; 0 = soak only), BENCH_SOAK (e.g. 100000: launches per subject of
 * the memory run), BENCH_LOG_LEVEL (gateway, default
 * warn), BENCH_PROFILE (a folder: CPU-profile the gateway and summarise the measured rounds),
 * BENCH_CHARTSIDE_BIN (another checkout's bin/chartside.js: compare two gateway versions, each
 * against the same baseline, whose ratio absorbs the machine's load), BENCH_FLOOR (0 leaves the
 * bare relay out; it never takes part in the soak, whose question is Chartside's memory).
 * Raw figures go to bench-results/launch-<timestamp>.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestEngine } from '../test/support/databases.ts';
import { percentile, type Subject } from './launch/driver.ts';
import { type Cell, formatCell, formatSoak, formatTargets, type SoakResult, slope } from './launch/report.ts';
import { type Ehr, measureRound, pool, type Round } from './launch/rounds.ts';
import {
  type Client,
  newClient,
  startBareRelay,
  startBaseline,
  startChartside,
  startEhrStub,
} from './launch/subjects.ts';
import { CLOCK_TICKS, freePort, positive, stop } from './support/processes.ts';
import { formatSummary, profileFiles, summarizeProfiles, type Window } from './support/profile-summary.ts';

const LAUNCHES = positive(process.env.BENCH_LAUNCHES, 600);
const CONCURRENCY = list(process.env.BENCH_CONCURRENCY, '1,10,50').map(Number);
const ENGINES = list(process.env.BENCH_ENGINES, 'sqlite,postgres') as TestEngine[];
const ROUNDS = process.env.BENCH_ROUNDS === '0' ? 0 : positive(process.env.BENCH_ROUNDS, 3);
const SOAK = positive(process.env.BENCH_SOAK, 0);
const SOAK_CONCURRENCY = 20;
const SOAK_SAMPLE_EVERY = 5000;
const WARMUP = Math.min(300, LAUNCHES);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'warn';
const PROFILE = process.env.BENCH_PROFILE;
const FLOOR = process.env.BENCH_FLOOR !== '0';
const resultsFolder = fileURLToPath(new URL('../bench-results/', import.meta.url));

function list(value: string | undefined, fallback: string): string[] {
  return (value || fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

interface Problems {
  count: number;
  samples: string[];
}

function note(problems: Problems, round: Round): void {
  problems.count += round.errorCount;
  problems.samples.push(...round.errors.slice(0, Math.max(0, 10 - problems.samples.length)));
}

interface Subjects {
  readonly chartside: Subject;
  readonly fhirclient: Subject;
  /** The bare relay; absent with BENCH_FLOOR=0 and in the soak. */
  readonly floor?: Subject;
}

const subjectList = (subjects: Subjects): Subject[] =>
  [subjects.chartside, subjects.fhirclient, subjects.floor].filter((subject) => subject !== undefined);

/** Rotated by `by`: each subject leads in turn, so none always runs right after another's load. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

interface Ports {
  readonly baseline: number;
  /** The floor's; null leaves it out. */
  readonly floor: number | null;
}

/** Start the subjects on a fresh database, run `body`, stop them and drop the database. */
async function withSubjects<T>(
  client: Client,
  ehr: Ehr,
  ports: Ports,
  engine: TestEngine,
  body: (subjects: Subjects) => Promise<T>,
): Promise<T> {
  const chartside = await startChartside(client, {
    engine,
    iss: ehr.iss,
    logLevel: LOG_LEVEL,
    ...(PROFILE ? { profileDir: PROFILE } : {}),
  });
  try {
    const baseline = await startBaseline(client, ports.baseline);
    try {
      const floor = ports.floor === null ? null : await startBareRelay(client, ports.floor);
      try {
        return await body({
          chartside: chartside.subject as Subject,
          fhirclient: baseline.subject as Subject,
          ...(floor ? { floor: floor.subject as Subject } : {}),
        });
      } finally {
        await stop(floor?.child);
      }
    } finally {
      await stop(baseline.child);
    }
  } finally {
    await stop(chartside.child);
    await chartside.drop();
  }
}

async function measureCells(
  subjects: Subjects,
  ehr: Ehr,
  engine: TestEngine,
  problems: Problems,
  windows: Window[],
): Promise<Array<Cell & { rounds: unknown[] }>> {
  const cells: Array<Cell & { rounds: unknown[] }> = [];
  const all = subjectList(subjects);
  // Warm-up: JIT, connection pools, each subject's discovery cache.
  for (const subject of all) {
    note(problems, await measureRound(subject, ehr, WARMUP, 10, `warm-${engine}-${subject.name}`));
  }
  for (const concurrency of CONCURRENCY) {
    const rounds: Record<string, Round[]> = Object.fromEntries(all.map((subject) => [subject.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const subject of rotate(all, r)) {
        const tag = `${engine}-c${concurrency}-r${r}-${subject.name}`;
        const round = await measureRound(subject, ehr, LAUNCHES, concurrency, tag);
        note(problems, round);
        rounds[subject.name]?.push(round);
        if (subject.name === 'chartside') windows.push(round.window);
      }
    }
    const cell: Cell = {
      engine,
      concurrency,
      chartside: pool(rounds.chartside ?? [], percentile),
      fhirclient: pool(rounds.fhirclient ?? [], percentile),
      ...(rounds.floor ? { floor: pool(rounds.floor, percentile) } : {}),
    };
    console.log(formatCell(cell));
    cells.push({ ...cell, rounds: Object.values(rounds).flat().map(roundFigures) });
  }
  return cells;
}

function roundFigures(round: Round) {
  const added = [...round.added].sort((a, b) => a - b);
  const { added: _added, total: _total, errors: _errors, ...figures } = round;
  return { ...figures, addedP50: percentile(added, 0.5), addedP99: percentile(added, 0.99) };
}

/** N launches per subject at concurrency 20, RSS after every 5,000; growth after warm-up. */
async function soak(
  subjects: Subjects,
  ehr: Ehr,
  engine: TestEngine,
  problems: Problems,
): Promise<SoakResult> {
  const started = Date.now();
  const result: SoakResult = {
    engine,
    launchesPerSubject: SOAK,
    concurrency: SOAK_CONCURRENCY,
    seconds: 0,
    subjects: {},
  };
  const samples: Record<string, Array<{ launches: number; rss: number }>> = { chartside: [], fhirclient: [] };
  for (let done = 0; done < SOAK; ) {
    const count = Math.min(SOAK_SAMPLE_EVERY, SOAK - done);
    for (const subject of [subjects.chartside, subjects.fhirclient]) {
      const round = await measureRound(subject, ehr, count, SOAK_CONCURRENCY, `soak-${done}-${subject.name}`);
      note(problems, round);
      if (done === 0) samples[subject.name]?.push({ launches: 0, rss: round.rssBefore });
      samples[subject.name]?.push({ launches: done + count, rss: round.rssAfter });
    }
    done += count;
    process.stdout.write(`\rsoak: ${done}/${SOAK} launches per subject`);
  }
  process.stdout.write('\n');
  const warmUp = Math.min(20_000, SOAK * 0.2);
  for (const [name, points] of Object.entries(samples)) {
    const settled = points.filter((point) => point.launches >= warmUp);
    result.subjects[name] = {
      samples: points,
      bytesPerLaunch: slope(settled.map((point) => ({ x: point.launches, y: point.rss }))),
    };
  }
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const client = newClient();
  const ports: Ports = { baseline: await freePort(), floor: FLOOR ? await freePort() : null };
  const stub = await startEhrStub(client, ports.baseline, ...(ports.floor === null ? [] : [ports.floor]));
  const ehr: Ehr = { origin: stub.origin, iss: stub.iss, pid: stub.child.pid };
  const problems: Problems = { count: 0, samples: [] };
  const windows: Window[] = [];
  const profilesBefore = new Set(PROFILE ? safeList(PROFILE) : []);
  const cells: Array<Cell & { rounds: unknown[] }> = [];
  let soakResult: SoakResult | null = null;
  console.log(
    `Chartside launch benchmark: ${LAUNCHES} launches per round, ${ROUNDS} rounds per subject per cell, ` +
      `concurrency ${CONCURRENCY.join('/')}, engines ${ENGINES.join('/')}, gateway log level ${LOG_LEVEL}, ` +
      `node ${process.version}, ${availableParallelism()} CPUs (CLK_TCK ${CLOCK_TICKS}). All subjects use ` +
      'client_secret_basic, the same scopes and PKCE S256 against the same EHR stub' +
      (FLOOR ? '; the floor is a bare fastify relay with no database, verification or sealing.' : '.'),
  );
  try {
    if (ROUNDS > 0) {
      for (const engine of ENGINES) {
        cells.push(
          ...(await withSubjects(client, ehr, ports, engine, (subjects) =>
            measureCells(subjects, ehr, engine, problems, windows),
          )),
        );
      }
    }
    if (SOAK > 0) {
      const engine = ENGINES[0] ?? 'sqlite';
      soakResult = await withSubjects(client, ehr, { ...ports, floor: null }, engine, (subjects) =>
        soak(subjects, ehr, engine, problems),
      );
      console.log(formatSoak(soakResult));
    }
  } finally {
    await stop(stub.child);
  }

  const targets = formatTargets(cells, soakResult);
  console.log(targets.text);
  let profile: string | null = null;
  if (PROFILE) {
    const files = profileFiles([PROFILE]).filter((file) => !profilesBefore.has(file));
    const measured = cells.reduce((sum, cell) => sum + cell.chartside.launches, 0);
    if (files.length > 0) {
      profile = formatSummary(summarizeProfiles(files, windows), 15, measured || undefined);
      console.log(`\nChartside ${profile}\n(profiles: ${files.join(', ')})`);
    }
  }
  console.log(
    `\nThis machine: ${availableParallelism()} CPUs shared by the driver, the EHR stub and the subject ` +
      `(load average ${loadavg()[0]?.toFixed(2)} at the end). CPU ms per launch is the steadiest figure.`,
  );
  mkdirSync(resultsFolder, { recursive: true });
  const file = join(resultsFolder, `launch-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        settings: { LAUNCHES, CONCURRENCY, ENGINES, ROUNDS, SOAK, LOG_LEVEL, WARMUP, FLOOR },
        machine: { cpus: availableParallelism(), loadavg: loadavg(), node: process.version },
        cells,
        soak: soakResult,
        profile,
        errors: problems,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Raw figures: ${file}`);
  if (problems.count > 0) {
    console.error(`\n${problems.count} launches failed:\n  ${problems.samples.join('\n  ')}`);
    process.exitCode = 1;
  }
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder).map((name) => join(folder, name));
  } catch {
    return [];
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
