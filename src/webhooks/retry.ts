/**
 * When a failed delivery is tried again: exponential backoff with jitter, so endpoints that come
 * back after an outage are not hit by every gateway process at the same instant.
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#retry-schedule
 */
export interface RetrySchedule {
  /** Delay after the first failed attempt; each further one doubles it. */
  readonly baseMs: number;
  /** The delay never grows past this. */
  readonly maxMs: number;
  /** After this many attempts the delivery is `failed` (the console's Redeliver starts it again). */
  readonly maxAttempts: number;
}

/** "Equal jitter": half the exponential delay, plus a random part of the other half. */
export function retryDelayMs(
  attempt: number,
  schedule: RetrySchedule,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/** The next attempt's time after attempt number `attempt` failed, or null when none is left. */
export function nextAttemptAt(
  attempt: number,
  schedule: RetrySchedule,
  now: number,
  random: () => number = Math.random,
): string | null {
  if (attempt >= schedule.maxAttempts) return null;
  return new Date(now + retryDelayMs(attempt, schedule, random)).toISOString();
}
