/**
 * When a failed call is sent again, and after how long.
 *
 * Only two answers are worth repeating: 429 (too many requests) and 503 (briefly unavailable).
 * Every other status means the same request would fail the same way.
 *
 * A GET, PUT or DELETE can be sent twice without harm (RFC 9110 §9.2.2). A POST or PATCH is sent
 * again only when the first one was certainly not carried out: a 429, which refuses the request
 * before it is processed (RFC 6585 §4), or Chartside's own `database_unavailable`, which it
 * answers before forwarding anything to the EHR. An EHR's 503 to a POST may have come after the
 * EHR wrote something: not repeated.
 */
import type { ChartsideApiError } from './errors.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const IDEMPOTENT = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

export interface RetryPolicy {
  /** Retries after the first attempt (0 = never retry). */
  readonly retries: number;
  /** The first backoff; doubled after each retry. */
  readonly baseDelayMs: number;
  /** The longest wait: a `Retry-After` beyond it is not waited for (the error is thrown). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * How long to wait before retry number `attempt + 1` of a call that failed with `error`, or null
 * when it must not be retried.
 */
export function retryDelayMs(
  method: HttpMethod,
  error: Pick<ChartsideApiError, 'status' | 'code' | 'retryAfter'>,
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (attempt >= policy.retries) return null;
  if (error.status !== 429 && error.status !== 503) return null;
  const notCarriedOut = error.status === 429 || error.code === 'database_unavailable';
  if (!IDEMPOTENT.has(method) && !notCarriedOut) return null;
  if (error.retryAfter !== null) {
    const asked = error.retryAfter * 1000;
    return asked > policy.maxDelayMs ? null : asked;
  }
  // Exponential, with jitter in its upper half so clients that failed together spread out.
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(backoff / 2 + (random() * backoff) / 2);
}
