/** Printing `npm run bench:launch`'s figures: a table per cell and the soak (targets.ts judges them). */
import { table } from '../support/table.ts';
import type { Pooled } from './rounds.ts';

export interface Cell {
  readonly engine: string;
  /** How every subject authenticated at the token endpoint. */
  readonly auth: string;
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

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
const ms = (value: number, digits = 2) => value.toFixed(digits);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const FLOOR_NAME = 'bare relay (floor)';

export function formatCell(cell: Cell): string {
  const header = [
    'subject',
    'launches/s',
    'added p50 ms',
    'added p99 ms',
    'launch p50 ms',
    'CPU ms/launch',
    'DB queries/launch',
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
    Number.isNaN(figures.queriesPerLaunch) ? '-' : ms(figures.queriesPerLaunch),
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
      '',
    ]);
  }
  return [
    `\n${cell.engine} · ${cell.auth} · concurrency ${cell.concurrency} · ${launches.join(' + ')} launches`,
    table(header, rows),
  ].join('\n');
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
      `on ${soak.engine}, ${soak.seconds.toFixed(0)} s; growth is the slope of the lowest RSS of every 5,000 ` +
      'launches after warm-up',
    table(['subject', 'RSS MB at start', 'RSS MB at end', 'bytes/launch'], rows),
  ].join('\n');
}
