/**
 * Drives many EHR launches the way browsers would (sandbox launcher → gateway launch → EHR
 * authorize → gateway callback), spread over several gateway processes, with bounded
 * concurrency, and records what every hop answered, so that each launch can be accounted for
 * against the database afterwards.
 */

import type { RunningSandbox } from '../../src/sandbox/index.ts';
import { sandboxLaunch } from '../support/sandbox-controls.ts';

/** What one hop to the gateway came back with. */
export interface HopResult {
  /** HTTP status, or null when no answer came (connection refused or dropped). */
  status: number | null;
  /** Our error code from the HTML error page, when there was one. */
  code: string | null;
  requestId: string | null;
  /** True when no answer came within the hop timeout: the gateway hung. */
  hung: boolean;
  /** When the request was sent (epoch ms), and how long the answer took. */
  at: number;
  ms: number;
}

export interface LaunchRecord {
  n: number;
  gateways: [number, number];
  launch: HopResult | null;
  /** The `state` of the authorize URL (the launch's key in `launch_state`). */
  state: string | null;
  callback: HopResult | null;
  /** `mb_launch` from the final redirect to the app. */
  mbLaunch: string | null;
  /** The driver itself could not go on (the sandbox's own pages are never faulted). */
  driverError: string | null;
  /** Sandbox hops (never faulted) the driver had to repeat after a dropped connection. */
  driverRetries: number;
}

export interface GatewayPool {
  /** Base URLs of the gateway processes; null while one is down (a load balancer skips it). */
  urls: (string | null)[];
}

const ERROR_CODE = /<dt>Error code<\/dt><dd>([a-z_]+)<\/dd>/;

/** Same path and query at another origin (the load balancer's choice of process). */
function via(url: string, origin: string): string {
  const parsed = new URL(url);
  const target = new URL(origin);
  parsed.protocol = target.protocol;
  parsed.host = target.host;
  return parsed.href;
}

async function hop(url: string, timeoutMs: number): Promise<{ hop: HopResult; location: string | null }> {
  const started = Date.now();
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    return {
      hop: {
        status: response.status,
        code: ERROR_CODE.exec(body)?.[1] ?? null,
        requestId: response.headers.get('x-request-id'),
        hung: false,
        at: started,
        ms: Date.now() - started,
      },
      location: response.headers.get('location'),
    };
  } catch (error) {
    const hung = (error as Error).name === 'TimeoutError';
    return {
      hop: { status: null, code: null, requestId: null, hung, at: started, ms: Date.now() - started },
      location: null,
    };
  }
}

export interface RunOptions {
  sandbox: RunningSandbox;
  clientId: string;
  pool: GatewayPool;
  launches: number;
  concurrency: number;
  /** A gateway answer slower than this counts as a hang. */
  hopTimeoutMs: number;
  /** Called as each launch starts (n from 0), to schedule mid-run events. */
  onStart?: (n: number) => void;
}

export async function runLaunches(options: RunOptions): Promise<LaunchRecord[]> {
  const records: LaunchRecord[] = [];
  let next = 0;
  let turn = 0;
  const pick = (): number => {
    for (let i = 0; i < options.pool.urls.length; i++) {
      const index = turn++ % options.pool.urls.length;
      if (options.pool.urls[index]) return index;
    }
    return 0;
  };
  const one = async (n: number): Promise<LaunchRecord> => {
    const gateways: [number, number] = [pick(), pick()];
    const record: LaunchRecord = {
      n,
      gateways,
      launch: null,
      state: null,
      callback: null,
      mbLaunch: null,
      driverError: null,
      driverRetries: 0,
    };
    // The sandbox's own pages are not under test: a connection lost on the way is tried again.
    const again = async <T>(step: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await step();
        } catch (error) {
          if ((error as Error).message !== 'fetch failed' || record.driverRetries >= 3) throw error;
          record.driverRetries++;
        }
      }
    };
    try {
      const ehr = await again(() => sandboxLaunch(options.sandbox, options.clientId));
      const launchOrigin = options.pool.urls[gateways[0]] ?? '';
      const launched = await hop(via(ehr.launch_url, launchOrigin), options.hopTimeoutMs);
      record.launch = launched.hop;
      if (launched.hop.status !== 302 || !launched.location) return record;
      const authorizeUrl = new URL(launched.location);
      record.state = authorizeUrl.searchParams.get('state');
      const authorized = await again(() =>
        fetch(authorizeUrl, { redirect: 'manual', headers: { cookie: ehr.session_cookie } }),
      );
      await authorized.body?.cancel();
      const callbackUrl = authorized.headers.get('location');
      if (authorized.status !== 302 || !callbackUrl) {
        record.driverError = `authorize answered ${authorized.status}`;
        return record;
      }
      const callbackOrigin = options.pool.urls[gateways[1]] ?? launchOrigin;
      const called = await hop(via(callbackUrl, callbackOrigin), options.hopTimeoutMs);
      record.callback = called.hop;
      if (called.hop.status === 302 && called.location) {
        record.mbLaunch = new URL(called.location).searchParams.get('mb_launch');
      }
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string } }).cause?.code;
      record.driverError = `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
    }
    return record;
  };
  const worker = async () => {
    while (next < options.launches) {
      const n = next++;
      options.onStart?.(n);
      records.push(await one(n));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return records.sort((a, b) => a.n - b.n);
}

/** Polls `/health` of the first process (never killed) while the run goes on; returns the failures. */
export function watchHealth(pool: GatewayPool): { stop(): number } {
  let failures = 0;
  const timer = setInterval(() => {
    const url = pool.urls[0];
    if (!url) return;
    fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }).then(
      (response) => {
        if (response.status !== 200) failures++;
        return response.body?.cancel();
      },
      () => {
        failures++;
      },
    );
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return failures;
    },
  };
}
