/**
 * Summarise V8 CPU profiles (`--cpu-prof` output): self time per function and per module
 * (an npm package, a file of ours, a node: internal area, or V8's own buckets such as the
 * garbage collector). Optionally only inside time windows (CLOCK_MONOTONIC microseconds, the
 * clock of the profile's timestamps and of `process.hrtime` in any process on the machine), so
 * start-up and warm-up can be left out.
 *
 *   node --import tsx bench/support/profile-summary.ts <folder or .cpuprofile files> [--top 20]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Window {
  /** Microseconds of CLOCK_MONOTONIC (process.hrtime.bigint() / 1000). */
  readonly start: number;
  readonly end: number;
}

export interface ProfileSummary {
  /** Sampled time in the windows, idle excluded (ms). */
  readonly busyMs: number;
  readonly byFunction: Array<{ name: string; ms: number }>;
  readonly byModule: Array<{ name: string; ms: number }>;
  /** False when no sample fell in the windows and the whole profile was used instead. */
  readonly windowed: boolean;
}

const IDLE = '(idle)';

export function summarizeProfiles(files: string[], windows: Window[] = []): ProfileSummary {
  const profiles = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  let summary = tally(profiles, windows);
  const windowed = windows.length > 0 && summary.busyMs > 0;
  if (windows.length > 0 && !windowed) summary = tally(profiles, []);
  return { ...summary, windowed };
}

function tally(profiles: CpuProfile[], windows: Window[]) {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let busyUs = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      at += profile.timeDeltas[i] ?? 0;
      // A sample stands for the time until the next one.
      const us = profile.timeDeltas[i + 1] ?? 0;
      if (windows.length > 0 && !windows.some((window) => at >= window.start && at <= window.end)) continue;
      const node = nodes.get(profile.samples[i] as number);
      if (!node) continue;
      const frame = node.callFrame;
      if (frame.functionName === IDLE) continue;
      busyUs += us;
      const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
      const fn = `${frame.functionName || '(anonymous)'}${where}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      const module = moduleOf(frame);
      byModule.set(module, (byModule.get(module) ?? 0) + us);
    }
  }
  const ranked = (map: Map<string, number>) =>
    [...map.entries()].map(([name, us]) => ({ name, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { busyMs: busyUs / 1000, byFunction: ranked(byFunction), byModule: ranked(byModule) };
}

/** The package, our file, or the V8/Node bucket a frame belongs to. */
export function moduleOf(frame: { functionName: string; url: string }): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native: V8 builtins, C++ bindings)';
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const marker = '/node_modules/';
  const at = url.lastIndexOf(marker);
  if (at !== -1) {
    const parts = url.slice(at + marker.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  return shortUrl(url);
}

function shortUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  const path = fileURLToPath(url);
  const inModules = path.lastIndexOf('/node_modules/');
  return inModules !== -1 ? path.slice(inModules + 14) : relative(process.cwd(), path);
}

/** The table the benchmarks print; `perLaunch` divides by a count (e.g. measured launches). */
export function formatSummary(summary: ProfileSummary, top: number, perLaunch?: number): string {
  const lines: string[] = [];
  const row = (entry: { name: string; ms: number }) => {
    const share = ((100 * entry.ms) / summary.busyMs).toFixed(1).padStart(5);
    const each = perLaunch ? `  ${(entry.ms / perLaunch).toFixed(3).padStart(7)} ms/launch` : '';
    return `  ${entry.ms.toFixed(0).padStart(7)} ms ${share}%${each}  ${entry.name}`;
  };
  lines.push(
    `CPU profile: ${summary.busyMs.toFixed(0)} ms busy${summary.windowed ? ' in the measured rounds' : ' (whole run)'}`,
    'Top modules by self time:',
    ...summary.byModule.slice(0, top).map(row),
    'Top functions by self time:',
    ...summary.byFunction.slice(0, top).map(row),
  );
  return lines.join('\n');
}

export function profileFiles(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => join(path, name))
      : [path],
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt === -1 ? 20 : Number(args.splice(topAt, 2)[1]);
  const files = profileFiles(args);
  if (files.length === 0) {
    console.error('usage: profile-summary.ts <folder or .cpuprofile files> [--top N]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfiles(files), top));
}
