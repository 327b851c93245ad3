/** Raw figures of a benchmark run, as JSON in bench-results/ (git-ignored), with the machine. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const folder = fileURLToPath(new URL('../../bench-results/', import.meta.url));

/** Writes `bench-results/<kind>-<start time>.json` and returns its path. */
export function writeResults(kind: string, startedAt: Date, figures: object): string {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${kind}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), ...figures }, null, 2)}\n`);
  return file;
}
