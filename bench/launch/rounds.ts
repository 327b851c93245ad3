/**
 * One measured round: `count` launches against one subject, with the CPU time of the subject,
 * the EHR stub and the driver read before and after (and the gateway's count of database
 * queries, read outside that window), and the EHR's token-endpoint time per launch fetched from
 * the stub so it can be taken out of the callback hop.
 */
import { request } from 'undici';
import { cpuMs, ownCpuMs, rssBytes } from '../support/processes.ts';
import { percentile } from '../support/stats.ts';
import { browser, type LaunchRun, runLaunches, type Subject } from './driver.ts';

export interface Ehr {
  readonly origin: string;
  readonly iss: string;
  readonly pid: number | undefined;
}

export interface Round {
  readonly subject: string;
  readonly launches: number;
  readonly wallMs: number;
  /** Per launch: launch hop + callback hop − the EHR's token-endpoint time (ms). */
  readonly added: number[];
  /** Per launch: the whole launch as the browser saw it, EHR included (ms). */
  readonly total: number[];
  readonly subjectCpuMs: number;
  readonly ehrCpuMs: number;
  readonly driverCpuMs: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Queries the subject sent to its database in the round; NaN for a subject without one. */
  readonly databaseQueries: number;
  readonly errors: string[];
  readonly errorCount: number;
  /** When the round ran, in CLOCK_MONOTONIC µs (to cut CPU profiles to the measured part). */
  readonly window: { start: number; end: number };
}

/** Failed launches: how many, and the first ten messages. */
export interface Problems {
  count: number;
  samples: string[];
}

export function note(problems: Problems, round: Round): void {
  problems.count += round.errorCount;
  problems.samples.push(...round.errors.slice(0, Math.max(0, 10 - problems.samples.length)));
}

export interface EhrTimings {
  token: Record<string, number>;
  other: { count: number; ms: number };
}

/** The stub's recorded times since the last call (and it forgets them). */
export async function drainEhrTimings(ehr: Ehr): Promise<EhrTimings> {
  const response = await request(`${ehr.origin}/_bench/timings`, { dispatcher: browser });
  return (await response.body.json()) as EhrTimings;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

export async function measureRound(
  subject: Subject,
  ehr: Ehr,
  count: number,
  concurrency: number,
  tag: string,
): Promise<Round> {
  await drainEhrTimings(ehr);
  const queriesBefore = subject.databaseQueries ? await subject.databaseQueries() : Number.NaN;
  const rssBefore = rssBytes(subject.pid);
  const before = { subject: cpuMs(subject.pid), ehr: cpuMs(ehr.pid), driver: ownCpuMs() };
  const start = monotonicUs();
  const run: LaunchRun = await runLaunches(subject, ehr.iss, count, concurrency, tag);
  const end = monotonicUs();
  const after = { subject: cpuMs(subject.pid), ehr: cpuMs(ehr.pid), driver: ownCpuMs() };
  const rssAfter = rssBytes(subject.pid);
  const queriesAfter = subject.databaseQueries ? await subject.databaseQueries() : Number.NaN;
  const timings = await drainEhrTimings(ehr);
  const errors = [...run.errors];
  let errorCount = run.errorCount;
  const added: number[] = [];
  const total: number[] = [];
  for (const launch of run.timings) {
    const tokenMs = timings.token[launch.launch];
    if (tokenMs === undefined) {
      errorCount += 1;
      if (errors.length < 10) errors.push(`${subject.name} ${launch.launch}: the EHR saw no token request`);
      continue;
    }
    added.push(launch.launchHop + launch.callbackHop - tokenMs);
    total.push(launch.launchHop + launch.authorizeHop + launch.callbackHop);
  }
  return {
    subject: subject.name,
    launches: run.launches,
    wallMs: run.wallMs,
    added,
    total,
    subjectCpuMs: after.subject - before.subject,
    ehrCpuMs: after.ehr - before.ehr,
    driverCpuMs: after.driver - before.driver,
    rssBefore,
    rssAfter,
    databaseQueries: queriesAfter - queriesBefore,
    errors,
    errorCount,
    window: { start, end },
  };
}

/** Rounds of one subject in one cell, pooled. */
export interface Pooled {
  readonly launches: number;
  readonly launchesPerSecond: number;
  readonly addedP50: number;
  readonly addedP99: number;
  readonly totalP50: number;
  readonly cpuPerLaunch: number;
  readonly ehrCpuPerLaunch: number;
  readonly driverCpuPerLaunch: number;
  /** Database queries per launch (round trips on PostgreSQL, statements on SQLite); NaN: none counted. */
  readonly queriesPerLaunch: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly errorCount: number;
}

export function pool(rounds: Round[]): Pooled {
  const launches = rounds.reduce((sum, round) => sum + round.launches, 0);
  const sum = (pick: (round: Round) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const added = rounds.flatMap((round) => round.added).sort((a, b) => a - b);
  const total = rounds.flatMap((round) => round.total).sort((a, b) => a - b);
  return {
    launches,
    launchesPerSecond: launches / (sum((round) => round.wallMs) / 1000),
    addedP50: percentile(added, 0.5),
    addedP99: percentile(added, 0.99),
    totalP50: percentile(total, 0.5),
    cpuPerLaunch: sum((round) => round.subjectCpuMs) / launches,
    ehrCpuPerLaunch: sum((round) => round.ehrCpuMs) / launches,
    driverCpuPerLaunch: sum((round) => round.driverCpuMs) / launches,
    queriesPerLaunch: sum((round) => round.databaseQueries) / launches,
    rssBefore: rounds[0]?.rssBefore ?? Number.NaN,
    rssAfter: rounds.at(-1)?.rssAfter ?? Number.NaN,
    errorCount: sum((round) => round.errorCount),
  };
}
