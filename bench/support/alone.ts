/**
 * A benchmark run on its own (`npm run bench:launch`, `bench:proxy`, `bench:cds`): its part of
 * the targets table, the machine, and its raw figures in bench-results/<kind>-<time>.json.
 */
import { loadavg } from 'node:os';
import { describeMachine, formatMachine } from './machine.ts';
import { writeResults } from './results.ts';
import { type Check, formatChecks } from './targets.ts';

export interface Alone<Results extends object> {
  readonly kind: string;
  run(): Promise<Results>;
  checks(results: Results): Check[];
  /** Whether anything failed that should not (launches, requests): the exit code is then 1. */
  failed(results: Results): boolean;
  /** A sentence after the machine's description. */
  readonly note?: string;
}

export function runAlone<Results extends object>(bench: Alone<Results>): void {
  const main = async () => {
    const startedAt = new Date();
    const machine = await describeMachine();
    const results = await bench.run();
    const checks = bench.checks(results);
    console.log(`\nTargets (issue 17):\n${formatChecks(checks)}`);
    const loadAtEnd = loadavg();
    console.log(`\nThis machine: ${formatMachine(machine, loadAtEnd)}.${bench.note ? ` ${bench.note}` : ''}`);
    const file = writeResults(bench.kind, startedAt, {
      machine,
      loadAverageAtEnd: loadAtEnd,
      ...results,
      checks,
    });
    console.log(`Raw figures: ${file}`);
    if (bench.failed(results)) process.exitCode = 1;
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
