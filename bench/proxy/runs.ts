/**
 * One paced autocannon run against one target of `npm run bench:proxy`, with the CPU time of
 * the relaying process and of the sandbox read before and after (and the gateway's count of
 * database queries, read outside that window); and the runs of a target pooled.
 */
import autocannon from 'autocannon';
import { cpuMs } from '../support/processes.ts';
import { percentile } from '../support/stats.ts';

export const TARGETS = ['direct', 'proxy', 'pass-through'] as const;
export type Target = (typeof TARGETS)[number];

export interface Endpoint {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The relaying process (none for direct). */
  readonly relayPid: number | undefined;
  readonly databaseQueries?: () => Promise<number>;
}

export interface Run {
  readonly requests: number;
  readonly seconds: number;
  /** Of the answers below 400, ms (autocannon's own timer, sub-millisecond). */
  readonly latencies: number[];
  readonly failures: number;
  /** CPU ms of the relaying process (gateway or pass-through; NaN for direct) and of the sandbox. */
  readonly relayCpuMs: number;
  readonly sandboxCpuMs: number;
  /** The gateway's database queries during the run (proxy only; else NaN). */
  readonly databaseQueries: number;
}

/** The runs of one target at one rate, pooled. */
export interface Pooled {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
  readonly relayCpuPerRequest: number;
  readonly sandboxCpuPerRequest: number;
  readonly queriesPerRequest: number;
}

/** Paced: `rate` requests/s over `rate / 100` connections (each sends every 10 ms at most). */
export async function measure(
  endpoint: Endpoint,
  rate: number,
  seconds: number,
  sandboxPid: number | undefined,
): Promise<Run> {
  const latencies: number[] = [];
  const queriesBefore = endpoint.databaseQueries ? await endpoint.databaseQueries() : Number.NaN;
  const before = [cpuMs(endpoint.relayPid), cpuMs(sandboxPid)] as const;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: endpoint.url,
        headers: endpoint.headers,
        connections: Math.max(1, Math.ceil(rate / 100)),
        overallRate: rate,
        duration: seconds,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status < 400) latencies.push(responseTime);
    });
  });
  const after = [cpuMs(endpoint.relayPid), cpuMs(sandboxPid)] as const;
  const queriesAfter = endpoint.databaseQueries ? await endpoint.databaseQueries() : Number.NaN;
  return {
    requests: result.requests.total,
    seconds: result.duration,
    latencies,
    failures: result.non2xx + result.errors + result.timeouts,
    relayCpuMs: after[0] - before[0],
    sandboxCpuMs: after[1] - before[1],
    databaseQueries: queriesAfter - queriesBefore,
  };
}

export function poolRuns(runs: readonly Run[]): Pooled {
  const sum = (pick: (run: Run) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const requests = sum((run) => run.requests);
  const latencies = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  return {
    requests,
    requestsPerSecond: requests / sum((run) => run.seconds),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    failures: sum((run) => run.failures),
    relayCpuPerRequest: sum((run) => run.relayCpuMs) / requests,
    sandboxCpuPerRequest: sum((run) => run.sandboxCpuMs) / requests,
    queriesPerRequest: sum((run) => run.databaseQueries) / requests,
  };
}
