/** Printing `npm run bench:launch`'s figures: a table per cell, the targets, the soak. */
import type { Pooled } from './rounds.ts';

export interface Cell {
  readonly engine: string;
  readonly concurrency: number;
  readonly chartside: Pooled;
  readonly fhirclient: Pooled;
  /** The bare relay: the protocol hops alone (absent with BENCH_FLOOR=0). */
  readonly floor?: Pooled;
}

export interface SoakResult {
  readonly engine: string;
  readonly launchesPerSubject: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly subjects: Record<
    string,
    { samples: Array<{ launches: number; rss: number }>; bytesPerLaunch: number }
  >;
}

/** Chartside's memory counts as flat below this growth (100,000 launches → < 20 MB). */
export const FLAT_BYTES_PER_LAUNCH = 200;

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const ms = (value: number, digits = 2) => value.toFixed(digits);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const tick = (ok: boolean) => (ok ? '✓' : '✗');
const FLOOR_NAME = 'bare relay (floor)';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatCell(cell: Cell): string {
  const header = [
    'subject',
    'launches/s',
    'added p50 ms',
    'added p99 ms',
    'launch p50 ms',
    'CPU ms/launch',
    'EHR CPU',
    'driver CPU',
    'RSS MB before→after',
  ];
  const row = (name: string, figures: Pooled) => [
    name,
    figures.launchesPerSecond.toFixed(0),
    ms(figures.addedP50),
    ms(figures.addedP99),
    ms(figures.totalP50),
    ms(figures.cpuPerLaunch, 3),
    ms(figures.ehrCpuPerLaunch, 3),
    ms(figures.driverCpuPerLaunch, 3),
    `${mb(figures.rssBefore)}→${mb(figures.rssAfter)}`,
  ];
  const { chartside: ours, fhirclient: theirs, floor } = cell;
  const launches = [ours, theirs, floor].flatMap((figures) => (figures ? [figures.launches] : []));
  const rows = [
    row('chartside', ours),
    row('fhirclient 2.6.3', theirs),
    ...(floor ? [row(FLOOR_NAME, floor)] : []),
    [
      'chartside ÷ fhirclient',
      ratio(ours.launchesPerSecond / theirs.launchesPerSecond),
      ratio(ours.addedP50 / theirs.addedP50),
      ratio(ours.addedP99 / theirs.addedP99),
      ratio(ours.totalP50 / theirs.totalP50),
      ratio(ours.cpuPerLaunch / theirs.cpuPerLaunch),
      '',
      '',
      '',
    ],
  ];
  // Only throughput and CPU: how far down any Node gateway could go, not a latency target.
  if (floor) {
    rows.push([
      'floor ÷ fhirclient',
      ratio(floor.launchesPerSecond / theirs.launchesPerSecond),
      '',
      '',
      '',
      ratio(floor.cpuPerLaunch / theirs.cpuPerLaunch),
      '',
      '',
      '',
    ]);
  }
  return [
    `\n${cell.engine} · concurrency ${cell.concurrency} · ${launches.join(' + ')} launches`,
    table(header, rows),
  ].join('\n');
}

/** The four targets, each with ✓/✗ per cell where it applies. */
export function formatTargets(cells: Cell[], soak: SoakResult | null): { text: string; met: boolean } {
  const lines: string[] = [];
  let met = true;
  const check = (ok: boolean) => {
    met &&= ok;
    return tick(ok);
  };
  const cpu = cells.map((cell) => {
    const r = cell.chartside.cpuPerLaunch / cell.fhirclient.cpuPerLaunch;
    return `${cell.engine} c${cell.concurrency} ${ratio(r)} ${check(r <= 0.5)}`;
  });
  lines.push(`CPU per launch ≤ 0.5× the baseline's:  ${cpu.join(', ') || 'not measured'}`);
  // Not a target: how much of the 0.5× budget the protocol hops alone already take.
  const floor = cells.flatMap((cell) =>
    cell.floor
      ? [
          `${cell.engine} c${cell.concurrency} ${ratio(cell.floor.cpuPerLaunch / cell.fhirclient.cpuPerLaunch)}`,
        ]
      : [],
  );
  if (floor.length > 0)
    lines.push(`floor (bare relay, no DB/verification/sealing) CPU per launch: ${floor.join(', ')}`);
  const throughput = cells
    .filter((cell) => cell.concurrency === 50)
    .map((cell) => {
      const r = cell.chartside.launchesPerSecond / cell.fhirclient.launchesPerSecond;
      return `${cell.engine} ${ratio(r)} ${check(r >= 1.5)}`;
    });
  lines.push(`launches/s at concurrency 50 ≥ 1.5×:   ${throughput.join(', ') || 'not measured'}`);
  const p99 = cells
    .filter((cell) => cell.concurrency === 10)
    .map((cell) => {
      const r = cell.chartside.addedP99 / cell.fhirclient.addedP99;
      return `${cell.engine} ${ratio(r)} ${check(r <= 0.5)}`;
    });
  lines.push(`added p99 at concurrency 10 ≤ 0.5×:    ${p99.join(', ') || 'not measured'}`);
  if (soak) {
    const growth = Object.entries(soak.subjects).map(
      ([name, figures]) => `${name} ${figures.bytesPerLaunch.toFixed(0)} B/launch`,
    );
    const ours = soak.subjects.chartside?.bytesPerLaunch ?? Number.NaN;
    lines.push(
      `memory flat over ${soak.launchesPerSubject} launches (< ${FLAT_BYTES_PER_LAUNCH} B/launch): ` +
        `${growth.join(', ')} ${check(ours < FLAT_BYTES_PER_LAUNCH)}`,
    );
  } else {
    lines.push('memory flat over 100,000 launches:     not measured (BENCH_SOAK=100000 runs it)');
  }
  return { text: `\nTargets (chartside vs fhirclient 2.6.3):\n  ${lines.join('\n  ')}`, met };
}

export function formatSoak(soak: SoakResult): string {
  const rows = Object.entries(soak.subjects).map(([name, figures]) => [
    name,
    mb(figures.samples[0]?.rss ?? Number.NaN),
    mb(figures.samples.at(-1)?.rss ?? Number.NaN),
    figures.bytesPerLaunch.toFixed(0),
  ]);
  return [
    `\nMemory soak: ${soak.launchesPerSubject} launches per subject at concurrency ${soak.concurrency} ` +
      `on ${soak.engine}, ${soak.seconds.toFixed(0)} s; growth is the least-squares slope after warm-up`,
    table(['subject', 'RSS MB at start', 'RSS MB at end', 'bytes/launch'], rows),
  ].join('\n');
}

/** Least-squares slope of y over x. */
export function slope(points: Array<{ x: number; y: number }>): number {
  if (points.length < 2) return Number.NaN;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const my = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return num / den;
}
