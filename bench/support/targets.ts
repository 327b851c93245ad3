/**
 * Issue 17's targets, judged from a run's figures: each a ratio (or a time) measured in one run,
 * side by side, in alternating rounds. Pure functions, so the verdicts are tested apart from any
 * benchmark (targets.test.ts); `npm run bench` prints them as one table, and each benchmark run
 * alone prints its own part.
 */
import { table } from './table.ts';

export const TARGETS = {
  launch: {
    /** CPU per launch ≤ this × the fhirclient baseline's, and ≤ `cpuVsFloor` × the bare relay's. */
    cpuVsBaseline: 1.0,
    cpuVsFloor: 2.5,
    /** Launches/s at concurrency 50 ≥ this × the baseline's, per engine. */
    throughputVsBaseline: { sqlite: 1.0, postgres: 0.8 } as Record<string, number>,
    throughputConcurrency: 50,
    /** Gateway-added p99 at concurrency 10 ≤ this × the baseline's. */
    addedP99VsBaseline: 1.0,
    addedP99Concurrency: 10,
    /** The concurrencies the targets speak of; other cells are printed but not judged. */
    concurrencies: [10, 50],
    /** PostgreSQL round trips per launch: one for the start hop, three for the callback. */
    roundTrips: 4,
  },
  soak: {
    /** Resident memory growth (least-squares slope after warm-up) below this counts as flat. */
    bytesPerLaunch: 200,
    launches: 100_000,
  },
  proxy: {
    /** Gateway CPU per proxied request ≤ this × the pass-through floor's. */
    cpuVsFloor: 1.5,
    /** Added p99 (proxy p99 − direct p99 at the same paced rate) at these rates, ms. */
    addedP99Ms: 1,
    rates: [200, 1000],
  },
  cds: {
    addedP99Ms: 5,
    /** A cache hit, the whole request, p50. */
    cacheHitMs: 1,
  },
} as const;

export interface LaunchSide {
  readonly launchesPerSecond: number;
  readonly addedP99: number;
  readonly cpuPerLaunch: number;
  /** Database queries per launch (round trips on PostgreSQL, statements on SQLite); NaN: none counted. */
  readonly queriesPerLaunch: number;
}

export interface LaunchCellFigures {
  readonly engine: string;
  readonly auth: string;
  readonly concurrency: number;
  readonly chartside: LaunchSide;
  readonly fhirclient: LaunchSide;
  /** The bare relay; absent with BENCH_FLOOR=0. */
  readonly floor?: LaunchSide | undefined;
}

export interface SoakFigures {
  readonly engine: string;
  readonly launchesPerSubject: number;
  readonly subjects: Readonly<Record<string, { readonly bytesPerLaunch: number }>>;
}

export interface ProxyCellFigures {
  readonly engine: string;
  readonly scenario: string;
  /** CPU ms per request over the paced runs: the gateway's and the pass-through's. */
  readonly cpuPerRequest: { readonly proxy: number; readonly passThrough: number };
  /** Per paced rate: proxy p99 − direct p99 (ms). */
  readonly added: ReadonlyArray<{ readonly rate: number; readonly p99: number }>;
  /** Database queries per proxied request; NaN: none counted. */
  readonly queriesPerRequest: number;
}

export interface CdsFigures {
  readonly engine: string;
  readonly addedP99: number;
  readonly cacheHitP50: number;
}

export interface Check {
  readonly bench: 'launch' | 'proxy' | 'cds';
  /** Where it was measured: engine · auth · concurrency, engine · scenario … */
  readonly cell: string;
  readonly figure: string;
  readonly value: number;
  /** The value as printed (`1.32×`, `0.41 ms`); `not measured` for NaN. */
  readonly shown: string;
  /** The figures behind a ratio (`4.03 vs 3.05 ms`). */
  readonly detail: string;
  /** `≤ 1.00×`; empty for a figure reported without a target. */
  readonly target: string;
  /** null: reported only (no target), or not measured. */
  readonly met: boolean | null;
}

type Comparison = '≤' | '≥' | '<';

const times = (value: number) => `${value.toFixed(2)}×`;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const fixed = (digits: number) => (value: number) => value.toFixed(digits);

/** A check against a limit; a figure that is NaN was not measured and gets no verdict. */
function judged(
  base: Pick<Check, 'bench' | 'cell' | 'figure' | 'detail'>,
  value: number,
  format: (value: number) => string,
  comparison: Comparison,
  limit: number,
): Check {
  const measured = Number.isFinite(value);
  const met = comparison === '≤' ? value <= limit : comparison === '≥' ? value >= limit : value < limit;
  return {
    ...base,
    value,
    shown: measured ? format(value) : 'not measured',
    target: `${comparison} ${format(limit)}`,
    met: measured ? met : null,
  };
}

function reported(
  base: Pick<Check, 'bench' | 'cell' | 'figure' | 'detail'>,
  value: number,
  format: (value: number) => string,
): Check {
  return {
    ...base,
    value,
    shown: Number.isFinite(value) ? format(value) : 'not measured',
    target: '',
    met: null,
  };
}

export function launchChecks(cells: readonly LaunchCellFigures[]): Check[] {
  const t = TARGETS.launch;
  const checks: Check[] = [];
  for (const cell of cells) {
    if (!(t.concurrencies as readonly number[]).includes(cell.concurrency)) continue;
    const { chartside: ours, fhirclient: baseline, floor } = cell;
    const where = { bench: 'launch' as const, cell: `${cell.engine} · ${cell.auth} · c${cell.concurrency}` };
    const cpu = (other: LaunchSide | undefined) =>
      other ? `${ours.cpuPerLaunch.toFixed(2)} vs ${other.cpuPerLaunch.toFixed(2)} ms` : '';
    checks.push(
      judged(
        { ...where, figure: 'CPU per launch ÷ fhirclient', detail: cpu(baseline) },
        ours.cpuPerLaunch / baseline.cpuPerLaunch,
        times,
        '≤',
        t.cpuVsBaseline,
      ),
      judged(
        { ...where, figure: 'CPU per launch ÷ bare relay', detail: floor ? cpu(floor) : 'BENCH_FLOOR=0' },
        floor ? ours.cpuPerLaunch / floor.cpuPerLaunch : Number.NaN,
        times,
        '≤',
        t.cpuVsFloor,
      ),
    );
    const minimum = t.throughputVsBaseline[cell.engine];
    if (cell.concurrency === t.throughputConcurrency && minimum !== undefined) {
      checks.push(
        judged(
          {
            ...where,
            figure: 'launches/s ÷ fhirclient',
            detail: `${ours.launchesPerSecond.toFixed(0)} vs ${baseline.launchesPerSecond.toFixed(0)} /s`,
          },
          ours.launchesPerSecond / baseline.launchesPerSecond,
          times,
          '≥',
          minimum,
        ),
      );
    }
    if (cell.concurrency === t.addedP99Concurrency) {
      checks.push(
        judged(
          {
            ...where,
            figure: 'added p99 ÷ fhirclient',
            detail: `${ours.addedP99.toFixed(1)} vs ${baseline.addedP99.toFixed(1)} ms`,
          },
          ours.addedP99 / baseline.addedP99,
          times,
          '≤',
          t.addedP99VsBaseline,
        ),
      );
    }
    const queries = { ...where, detail: '' };
    checks.push(
      cell.engine === 'postgres'
        ? judged(
            { ...queries, figure: 'DB round trips per launch' },
            ours.queriesPerLaunch,
            fixed(2),
            '≤',
            t.roundTrips,
          )
        : reported({ ...queries, figure: 'DB statements per launch' }, ours.queriesPerLaunch, fixed(2)),
    );
  }
  return checks;
}

export function soakChecks(soak: SoakFigures | null): Check[] {
  if (!soak) return [];
  const t = TARGETS.soak;
  const shortened = soak.launchesPerSubject < t.launches;
  const others = Object.entries(soak.subjects)
    .filter(([name]) => name !== 'chartside')
    .map(([name, figures]) => `${name} ${figures.bytesPerLaunch.toFixed(0)} B/launch`);
  return [
    judged(
      {
        bench: 'launch',
        cell: `${soak.engine} · ${soak.launchesPerSubject.toLocaleString('en-US')} launches`,
        figure: 'memory growth per launch',
        detail: [
          ...others,
          ...(shortened ? [`shortened: the target is over ${t.launches.toLocaleString('en-US')}`] : []),
        ].join('; '),
      },
      soak.subjects.chartside?.bytesPerLaunch ?? Number.NaN,
      (value) => `${value.toFixed(0)} B`,
      '<',
      t.bytesPerLaunch,
    ),
  ];
}

export function proxyChecks(cells: readonly ProxyCellFigures[]): Check[] {
  const t = TARGETS.proxy;
  const checks: Check[] = [];
  for (const cell of cells) {
    const where = { bench: 'proxy' as const, cell: `${cell.engine} · ${cell.scenario}` };
    const { proxy, passThrough } = cell.cpuPerRequest;
    checks.push(
      judged(
        {
          ...where,
          figure: 'CPU per request ÷ pass-through',
          detail: `${proxy.toFixed(3)} vs ${passThrough.toFixed(3)} ms`,
        },
        proxy / passThrough,
        times,
        '≤',
        t.cpuVsFloor,
      ),
    );
    for (const { rate, p99 } of cell.added) {
      const figure = { ...where, figure: `added p99 at ${rate} req/s`, detail: '' };
      checks.push(
        (t.rates as readonly number[]).includes(rate)
          ? judged(figure, p99, ms, '≤', t.addedP99Ms)
          : reported(figure, p99, ms),
      );
    }
    checks.push(
      reported(
        {
          ...where,
          figure: cell.engine === 'postgres' ? 'DB round trips per request' : 'DB statements per request',
          detail: '',
        },
        cell.queriesPerRequest,
        fixed(2),
      ),
    );
  }
  return checks;
}

export function cdsChecks(results: readonly CdsFigures[]): Check[] {
  const t = TARGETS.cds;
  return results.flatMap((result) => {
    const where = { bench: 'cds' as const, cell: result.engine, detail: '' };
    return [
      judged({ ...where, figure: 'relay added p99' }, result.addedP99, ms, '≤', t.addedP99Ms),
      judged(
        { ...where, figure: 'cache hit p50 (whole request)' },
        result.cacheHitP50,
        ms,
        '≤',
        t.cacheHitMs,
      ),
    ];
  });
}

const verdict = (met: boolean | null) => (met === null ? '' : met ? '✔' : '✘');

/** The one table: a row per figure and cell, with its target and ✔/✘, and a count at the end. */
export function formatChecks(checks: readonly Check[]): string {
  const rows = checks.map((check) => [
    check.bench,
    check.cell,
    check.figure,
    check.shown,
    check.target,
    verdict(check.met),
    check.detail,
  ]);
  const judgedChecks = checks.filter((check) => check.target !== '');
  const met = judgedChecks.filter((check) => check.met === true).length;
  const missed = judgedChecks.filter((check) => check.met === false).length;
  const unmeasured = judgedChecks.length - met - missed;
  return [
    table(['bench', 'cell', 'figure', 'measured', 'target', '', 'from'], rows),
    `${met} of ${judgedChecks.length} targets met, ${missed} missed` +
      `${unmeasured ? `, ${unmeasured} not measured` : ''}.`,
  ].join('\n');
}
