/**
 * `npm run bench:launch`: what a full EHR launch costs through Chartside, against the same
 * launch done by an Express app on fhirclient 2.6.3 (express-session, as its Node docs show),
 * and against the floor: a bare fastify relay doing only the protocol hops.
 *
 * Four processes on 127.0.0.1 besides this driver: a fast EHR stub (bench/launch/ehr-stub.ts),
 * the baseline (bench/launch/fhirclient-baseline.ts), the floor (bench/launch/bare-relay.ts) and
 * `chartside serve` (production mode, fresh database per engine and client authentication).
 * Each launch: subject launch URL → the EHR's authorize (approves at once) → the subject's
 * callback (code exchange) → stop at the 302 to the app launch URL. Rounds alternate between the
 * subjects, the order rotating from round to round. Per engine × client authentication ×
 * concurrency it prints launches/s, the latency the subject adds (its two hops minus the EHR's
 * token-endpoint time), CPU ms per launch of each process (from /proc), the gateway's database
 * queries per launch (its own counter, read from /metrics outside the CPU window), resident
 * memory; then the targets of issue 17 with ✔/✘.
 *
 * Environment: BENCH_LAUNCHES (per round, default 600), BENCH_CONCURRENCY (default 10,50),
 * BENCH_ENGINES (default sqlite,postgres; PostgreSQL on 127.0.0.1:5432, user postgres, a fresh
 * database per run), BENCH_AUTH (default client_secret_basic,private_key_jwt), BENCH_ROUNDS
 * (per subject per cell, default 3: each subject takes each place in the rotation once; 0 = soak
 * only), BENCH_SOAK (e.g. 100000: launches per subject of the memory run, on the first engine
 * and client authentication; bench/launch/soak.ts), BENCH_SOAK_BASELINE (0 leaves fhirclient
 * out of the soak, which halves it; its memory is no target), BENCH_LOG_LEVEL (gateway, default warn), BENCH_PROFILE (a folder:
 * CPU-profile the gateway and summarise the measured rounds), BENCH_CHARTSIDE_BIN (another
 * checkout's bin/chartside.js: compare two gateway versions, each against the same baseline,
 * whose ratio absorbs the machine's load), BENCH_FLOOR (0 leaves the bare relay out; it never
 * takes part in the soak, whose question is Chartside's memory).
 * Raw figures go to bench-results/launch-<timestamp>.json.
 */
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { TestEngine } from '../test/support/databases.ts';
import type { Subject } from './launch/driver.ts';
import { type Cell, formatCell, formatSoak, type SoakResult } from './launch/report.ts';
import { type Ehr, measureRound, note, type Problems, pool, type Round } from './launch/rounds.ts';
import { soak } from './launch/soak.ts';
import {
  AUTH_METHODS,
  type AuthMethod,
  type Client,
  newClient,
  startBareRelay,
  startBaseline,
  startChartside,
  startEhrStub,
} from './launch/subjects.ts';
import { runAlone } from './support/alone.ts';
import { isEntryPoint, list, positive } from './support/cli.ts';
import { CLOCK_TICKS, freePort, stop } from './support/processes.ts';
import { formatSummary, profileFiles, summarizeProfiles, type Window } from './support/profile-summary.ts';
import { percentile, rotate } from './support/stats.ts';
import { type Check, launchChecks, soakChecks } from './support/targets.ts';

export interface LaunchSettings {
  readonly launches: number;
  readonly concurrency: readonly number[];
  readonly engines: readonly TestEngine[];
  readonly auths: readonly AuthMethod[];
  readonly rounds: number;
  readonly soak: number;
  /** fhirclient takes part in the soak too, for comparison. */
  readonly soakBaseline: boolean;
  readonly warmup: number;
  readonly logLevel: string;
  readonly profile: string | undefined;
  readonly floor: boolean;
  readonly bin: string | undefined;
}

export function launchSettings(
  env: NodeJS.ProcessEnv,
  defaults: { soak?: number; soakBaseline?: boolean } = {},
): LaunchSettings {
  const launches = positive(env.BENCH_LAUNCHES, 600);
  const auths = list(env.BENCH_AUTH, AUTH_METHODS.join(','));
  for (const auth of auths) {
    if (!(AUTH_METHODS as readonly string[]).includes(auth))
      throw new Error(`BENCH_AUTH: ${auth} is not one of ${AUTH_METHODS.join(', ')}`);
  }
  return {
    launches,
    concurrency: list(env.BENCH_CONCURRENCY, '10,50').map(Number),
    engines: list(env.BENCH_ENGINES, 'sqlite,postgres') as TestEngine[],
    auths: auths as AuthMethod[],
    rounds: env.BENCH_ROUNDS === '0' ? 0 : positive(env.BENCH_ROUNDS, 3),
    soak: env.BENCH_SOAK === '0' ? 0 : positive(env.BENCH_SOAK, defaults.soak ?? 0),
    soakBaseline: env.BENCH_SOAK_BASELINE ? env.BENCH_SOAK_BASELINE !== '0' : (defaults.soakBaseline ?? true),
    warmup: Math.min(300, launches),
    logLevel: env.BENCH_LOG_LEVEL ?? 'warn',
    profile: env.BENCH_PROFILE || undefined,
    floor: env.BENCH_FLOOR !== '0',
    bin: env.BENCH_CHARTSIDE_BIN || undefined,
  };
}

export interface LaunchResults {
  readonly settings: LaunchSettings;
  readonly cells: Array<Cell & { rounds: unknown[] }>;
  readonly soak: SoakResult | null;
  /** The CPU profile's summary (BENCH_PROFILE), as printed. */
  readonly profile: string | null;
  readonly errors: Problems;
}

interface Subjects {
  readonly chartside: Subject;
  readonly fhirclient: Subject;
  /** The bare relay; absent with BENCH_FLOOR=0 and in the soak. */
  readonly floor?: Subject;
}

const subjectList = (subjects: Subjects): Subject[] =>
  [subjects.chartside, subjects.fhirclient, subjects.floor].filter((subject) => subject !== undefined);

interface Ports {
  readonly baseline: number;
  /** The floor's; null leaves it out. */
  readonly floor: number | null;
}

interface Context {
  readonly settings: LaunchSettings;
  readonly client: Client;
  readonly ehr: Ehr;
  readonly ports: Ports;
  readonly problems: Problems;
}

/** Start the subjects (a fresh database for Chartside), run `body`, stop them, drop the database. */
async function withSubjects<T>(
  context: Context,
  engine: TestEngine,
  authMethod: AuthMethod,
  floorPort: number | null,
  body: (subjects: Subjects) => Promise<T>,
): Promise<T> {
  const { settings, client, ehr, ports } = context;
  const chartside = await startChartside(client, {
    engine,
    authMethod,
    ehr,
    logLevel: settings.logLevel,
    profileDir: settings.profile,
    bin: settings.bin,
  });
  try {
    const baseline = await startBaseline(client, ports.baseline, authMethod);
    try {
      const floor = floorPort === null ? null : await startBareRelay(client, floorPort, authMethod);
      try {
        return await body({
          chartside: chartside.subject,
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
    await chartside.stop();
  }
}

async function measureCells(
  context: Context,
  subjects: Subjects,
  engine: TestEngine,
  auth: AuthMethod,
  windows: Window[],
): Promise<Array<Cell & { rounds: unknown[] }>> {
  const { settings, ehr, problems } = context;
  const cells: Array<Cell & { rounds: unknown[] }> = [];
  const all = subjectList(subjects);
  // Warm-up: JIT, connection pools, each subject's discovery cache.
  for (const subject of all) {
    note(
      problems,
      await measureRound(subject, ehr, settings.warmup, 10, `warm-${engine}-${auth}-${subject.name}`),
    );
  }
  for (const concurrency of settings.concurrency) {
    const rounds: Record<string, Round[]> = Object.fromEntries(all.map((subject) => [subject.name, []]));
    for (let r = 0; r < settings.rounds; r++) {
      for (const subject of rotate(all, r)) {
        const tag = `${engine}-${auth}-c${concurrency}-r${r}-${subject.name}`;
        const round = await measureRound(subject, ehr, settings.launches, concurrency, tag);
        note(problems, round);
        rounds[subject.name]?.push(round);
        if (subject.name === 'chartside') windows.push(round.window);
      }
    }
    const cell: Cell = {
      engine,
      auth,
      concurrency,
      chartside: pool(rounds.chartside ?? []),
      fhirclient: pool(rounds.fhirclient ?? []),
      ...(rounds.floor ? { floor: pool(rounds.floor) } : {}),
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

/** Every cell (engine × client authentication × concurrency), then the soak; tables printed as they come. */
export async function runLaunchBench(settings: LaunchSettings): Promise<LaunchResults> {
  const client = newClient();
  const ports: Ports = { baseline: await freePort(), floor: settings.floor ? await freePort() : null };
  const stub = await startEhrStub(client, ports.baseline, ...(ports.floor === null ? [] : [ports.floor]));
  const context: Context = {
    settings,
    client,
    ehr: { origin: stub.origin, iss: stub.iss, pid: stub.child.pid },
    ports,
    problems: { count: 0, samples: [] },
  };
  const windows: Window[] = [];
  const profilesBefore = new Set(settings.profile ? safeList(settings.profile) : []);
  const cells: Array<Cell & { rounds: unknown[] }> = [];
  let soakResult: SoakResult | null = null;
  console.log(
    `Chartside launch benchmark: ${settings.launches} launches per round, ${settings.rounds} rounds per subject ` +
      `per cell, concurrency ${settings.concurrency.join('/')}, engines ${settings.engines.join('/')}, client ` +
      `authentication ${settings.auths.join('/')}, gateway log level ${settings.logLevel}, node ${process.version}, ` +
      `${availableParallelism()} CPUs (CLK_TCK ${CLOCK_TICKS}). Every subject of a cell authenticates the same ` +
      'way, with the same scopes and PKCE S256, against the same EHR stub' +
      (settings.floor
        ? '; the floor is a bare fastify relay with no database, verification or sealing.'
        : '.'),
  );
  try {
    if (settings.rounds > 0) {
      for (const engine of settings.engines) {
        for (const auth of settings.auths) {
          cells.push(
            ...(await withSubjects(context, engine, auth, ports.floor, (subjects) =>
              measureCells(context, subjects, engine, auth, windows),
            )),
          );
        }
      }
    }
    if (settings.soak > 0) {
      const engine = settings.engines[0] ?? 'sqlite';
      const auth = settings.auths[0] ?? 'client_secret_basic';
      soakResult = await withSubjects(context, engine, auth, null, (subjects) =>
        soak(
          settings.soakBaseline ? [subjects.chartside, subjects.fhirclient] : [subjects.chartside],
          context.ehr,
          engine,
          settings.soak,
          context.problems,
        ),
      );
      console.log(formatSoak(soakResult));
    }
  } finally {
    await stop(stub.child);
  }

  let profile: string | null = null;
  if (settings.profile) {
    const files = profileFiles([settings.profile]).filter((file) => !profilesBefore.has(file));
    const measured = cells.reduce((sum, cell) => sum + cell.chartside.launches, 0);
    if (files.length > 0) {
      profile = formatSummary(summarizeProfiles(files, windows), 15, measured || undefined);
      console.log(`\nChartside ${profile}\n(profiles: ${files.join(', ')})`);
    }
  }
  return { settings, cells, soak: soakResult, profile, errors: context.problems };
}

export const launchResultChecks = (results: LaunchResults): Check[] => [
  ...launchChecks(results.cells),
  ...soakChecks(results.soak),
];

/** The failed launches, printed; true when there were any. */
export function reportProblems(problems: Problems): boolean {
  if (problems.count === 0) return false;
  console.error(`\n${problems.count} launches failed:\n  ${problems.samples.join('\n  ')}`);
  return true;
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder).map((name) => join(folder, name));
  } catch {
    return [];
  }
}

if (isEntryPoint(import.meta.url)) {
  runAlone({
    kind: 'launch',
    run: () => runLaunchBench(launchSettings(process.env)),
    checks: launchResultChecks,
    failed: (results) => reportProblems(results.errors),
    note: 'The driver, the EHR stub and the subject share the cores; CPU ms per launch is the steadiest figure.',
  });
}
