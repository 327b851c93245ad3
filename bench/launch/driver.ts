/**
 * The browser side of `npm run bench:launch`: full EHR launches, hop by hop, over keep-alive
 * connections — subject launch URL → the EHR's authorize → the subject's callback → stop at
 * the 302 to the app launch URL (never fetched). Each launch is a fresh browser: its own
 * cookie (the baseline's session), its own `launch` value (how the EHR stub files its time).
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface Subject {
  readonly name: string;
  readonly pid: number | undefined;
  /** The SMART launch URI, without query. */
  readonly launchUrl: string;
  /** The callback URL the EHR redirects to → the address the driver can reach. */
  localCallback(url: string): string;
  /** Where a successful launch ends: the app launch URL it redirects to must start with this. */
  readonly appLaunchPrefix: string;
  /** The gateway's count of queries sent to its database (`chartside_db_queries_total`). */
  readonly databaseQueries?: () => Promise<number>;
}

export interface LaunchTiming {
  readonly launch: string;
  /** Our hops: the launch request and the callback request (ms, body read). */
  readonly launchHop: number;
  readonly callbackHop: number;
  /** The EHR's authorize hop, as the browser saw it (not the subject's time). */
  readonly authorizeHop: number;
}

export interface LaunchRun {
  readonly launches: number;
  readonly wallMs: number;
  readonly timings: LaunchTiming[];
  readonly errors: string[];
  readonly errorCount: number;
}

const MAX_KEPT_ERRORS = 10;

export const browser = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });

/** `count` launches with `concurrency` in flight; `tag` makes every `launch` value unique. */
export async function runLaunches(
  subject: Subject,
  iss: string,
  count: number,
  concurrency: number,
  tag: string,
): Promise<LaunchRun> {
  const timings: LaunchTiming[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const launch = `${tag}-${i}`;
      try {
        timings.push(await oneLaunch(subject, iss, launch));
      } catch (error) {
        errorCount += 1;
        if (errors.length < MAX_KEPT_ERRORS)
          errors.push(`${subject.name} ${launch}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { launches: timings.length, wallMs: performance.now() - started, timings, errors, errorCount };
}

async function oneLaunch(subject: Subject, iss: string, launch: string): Promise<LaunchTiming> {
  const launchUrl = `${subject.launchUrl}?${new URLSearchParams({ iss, launch })}`;
  const first = await hop(launchUrl, undefined);
  const authorizeUrl = expectRedirect(first, 'launch', (location) =>
    location.startsWith(new URL(iss).origin),
  );
  const second = await hop(authorizeUrl, undefined);
  const callbackUrl = subject.localCallback(expectRedirect(second, 'authorize', () => true));
  const third = await hop(callbackUrl, first.cookie);
  expectRedirect(third, 'callback', (location) => location.startsWith(subject.appLaunchPrefix));
  return { launch, launchHop: first.ms, callbackHop: third.ms, authorizeHop: second.ms };
}

interface Hop {
  status: number;
  location: string | null;
  cookie: string | undefined;
  ms: number;
  body: string;
}

async function hop(url: string, cookie: string | undefined): Promise<Hop> {
  const started = performance.now();
  const response = await request(url, { dispatcher: browser, headers: cookie ? { cookie } : {} });
  const body = await response.body.text();
  const ms = performance.now() - started;
  const location = response.headers.location;
  const setCookie = response.headers['set-cookie'];
  const firstCookie = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  return {
    status: response.statusCode,
    location: typeof location === 'string' ? location : null,
    cookie: firstCookie?.split(';')[0],
    ms,
    body,
  };
}

function expectRedirect(response: Hop, name: string, expected: (location: string) => boolean): string {
  if (response.status === 302 && response.location && expected(response.location)) return response.location;
  const where = response.location ? ` to ${response.location.split('?')[0]}` : '';
  const title = /<title>([^<]*)<\/title>/.exec(response.body)?.[1];
  throw new Error(`${name} hop answered ${response.status}${where}: ${title ?? response.body.slice(0, 200)}`);
}
