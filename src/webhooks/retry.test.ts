import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextAttemptAt, retryDelayMs } from './retry.ts';

describe('webhook retry schedule', () => {
  const schedule = { baseMs: 30_000, maxMs: 6 * 3_600_000, maxAttempts: 12 };

  it('doubles the delay after each failure, with half of it random (equal jitter)', () => {
    assert.equal(
      retryDelayMs(1, schedule, () => 0),
      15_000,
    );
    assert.equal(
      retryDelayMs(1, schedule, () => 1),
      30_000,
    );
    assert.equal(
      retryDelayMs(2, schedule, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(5, schedule, () => 0.5),
      Math.round(480_000 * 0.75),
    );
  });

  it('never waits longer than the cap', () => {
    assert.equal(
      retryDelayMs(30, schedule, () => 1),
      schedule.maxMs,
    );
  });

  it('gives up after the last attempt', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    assert.equal(
      nextAttemptAt(11, schedule, now, () => 1),
      new Date(now + schedule.maxMs).toISOString(),
    );
    assert.equal(nextAttemptAt(12, schedule, now), null);
  });
});
