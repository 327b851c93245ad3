/**
 * What the benchmarks share about their child processes: free ports, starting and stopping
 * node processes (optionally with a V8 CPU profile), waiting for them to answer, and reading
 * their CPU time and resident memory from /proc (Linux; NaN elsewhere).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A port that was free a moment ago (a PUBLIC_URL must be known before the process listens). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  /** A folder: run with `--cpu-prof` and write the profile there on exit. */
  profileDir?: string;
  /** Extra node flags, e.g. `['--import', 'tsx']`. */
  nodeArgs?: string[];
}

/** `node [flags] <script> [args]`, the node process itself (so its pid is the one to measure). */
export function startNode(name: string, script: string, args: string[], options: StartOptions): ChildProcess {
  const profile = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, ...(options.nodeArgs ?? []), script, ...args], {
    env: options.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk}`));
  return child;
}

/** Poll `url` until it answers below 500 (30 s at most). */
export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    const ok = await fetch(url).then(
      async (response) => {
        await response.body?.cancel();
        return response.status < 500;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** SIGTERM and wait for the exit (a CPU profile is written on the way out). */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat CPU times (almost always 100). */
export const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number | undefined): number {
  try {
    // The command name (field 2) may contain spaces; the fields after it are space-separated.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number | undefined): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** This process's own CPU time in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
