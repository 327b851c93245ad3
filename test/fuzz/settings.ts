/**
 * How much each fuzz suite runs and with which seed. `npm test` runs the fast variant;
 * `npm run test:fuzz` (FUZZ_FULL=1) runs {@link FULL_FACTOR} times as many cases. The seed is
 * fixed so a failure reproduces; FUZZ_SEED=<n> picks another (FUZZ_SEED=random: a new one per run,
 * printed).
 */
import type { TestContext } from 'node:test';
import type { Parameters } from 'fast-check';

export const FULL = process.env.FUZZ_FULL === '1';
export const FULL_FACTOR = 20;
const DEFAULT_SEED = 20261129;

export const SEED = (() => {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  if (raw === 'random') return Math.floor(Math.random() * 2 ** 31);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, not ${raw}`);
  return seed;
})();

/**
 * Counts the cases a surface actually ran (shrinking included) and the statuses they got, for
 * the printed summary: a fuzz run that never reached a branch shows it.
 */
export class CaseCounter {
  private readonly counts = new Map<string, number>();
  private readonly statuses = new Map<string, Map<number, number>>();

  /** Call once per executed case. */
  count(label: string): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  /** Call with each answer's status. */
  saw(label: string, status: number): void {
    const byStatus = this.statuses.get(label) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.statuses.set(label, byStatus);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, n) => sum + n, 0);
  }

  summary(surface: string): string {
    const parts = [...this.counts]
      .map(([label, n]) => {
        const seen = [...(this.statuses.get(label) ?? [])].sort(([a], [b]) => a - b);
        return `${label} ${n} [${seen.map(([status, k]) => `${status}×${k}`).join(' ')}]`;
      })
      .join(', ');
    return `fuzz ${surface}: ${this.total} cases (${parts}); ${FULL ? 'full' : 'fast'} variant, seed ${SEED} (FUZZ_SEED=${SEED} to reproduce)`;
  }
}

/** fast-check parameters for a property of `fastRuns` cases in the fast variant. */
export function params<T>(fastRuns: number, extra: Parameters<T> = {}): Parameters<T> {
  return {
    numRuns: FULL ? fastRuns * FULL_FACTOR : fastRuns,
    seed: SEED,
    interruptAfterTimeLimit: FULL ? 20 * 60_000 : 120_000,
    markInterruptAsFailure: true,
    ...extra,
  };
}

/** Print the counts (a diagnostic: in the spec output and in the TAP file). */
export function report(t: TestContext, counter: CaseCounter, surface: string): void {
  const line = counter.summary(surface);
  t.diagnostic(line);
}
