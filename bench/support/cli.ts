/** What the benchmarks' command lines share: reading their environment, knowing they were run. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A positive number from the environment, else `fallback`. */
export function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Comma-separated items of an environment variable, or of `fallback` when it is unset or empty. */
export function list(value: string | undefined, fallback: string): string[] {
  return (value || fallback)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Whether the module at `moduleUrl` is the script node was started with (not an import). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && fileURLToPath(moduleUrl) === resolve(script);
}
