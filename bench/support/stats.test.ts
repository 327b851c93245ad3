/**
 * The small helpers behind the figures: percentiles, slopes, the memory soak's lower envelope,
 * and the rotation that alternates rounds.
 * Run: bash scripts/test.sh bench/support/*.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lowerEnvelope, percentile, rotate, slope } from './stats.ts';

describe('percentile', () => {
  it('is the nearest rank, and NaN of nothing', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile(sorted, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });
});

describe('the soak’s growth', () => {
  const sawtooth = (leakPerLaunch: number) =>
    Array.from({ length: 40 }, (_, i) => {
      const x = (i + 1) * 1000;
      // collections every 3,000 launches bring memory back down; a leak lifts where it comes back to
      return { x, y: 200e6 + (i % 3) * 30e6 + leakPerLaunch * x };
    });

  it('sees no growth in a sawtooth that always comes back down', () => {
    assert.ok(Math.abs(slope(lowerEnvelope(sawtooth(0), 5000))) < 1);
    assert.ok(Math.abs(slope(sawtooth(0))) < 200, 'the raw slope of a steady sawtooth is near zero too');
  });

  it('sees a leak as the slope of the lows', () => {
    assert.ok(Math.abs(slope(lowerEnvelope(sawtooth(500), 5000)) - 500) < 1);
  });

  it('takes the lowest point of each window', () => {
    const points = [
      { x: 1000, y: 5 },
      { x: 5000, y: 3 },
      { x: 6000, y: 9 },
      { x: 10000, y: 4 },
      { x: 11000, y: 2 },
    ];
    assert.deepEqual(lowerEnvelope(points, 5000), [
      { x: 5000, y: 3 },
      { x: 10000, y: 4 },
      { x: 11000, y: 2 },
    ]);
  });
});

describe('rotate', () => {
  it('lets each subject lead in turn', () => {
    const subjects = ['chartside', 'fhirclient', 'floor'];
    assert.deepEqual(
      [0, 1, 2, 3].map((round) => rotate(subjects, round)[0]),
      ['chartside', 'fhirclient', 'floor', 'chartside'],
    );
  });
});
