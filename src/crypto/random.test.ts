import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pooledRandomBytes, randomToken } from './random.ts';

describe('pooled CSPRNG bytes', () => {
  it('never hands out the same bytes twice, across many pool refills', () => {
    const seen = new Set<string>();
    // 20,000 × 12 bytes crosses the 4 KiB pool about sixty times.
    for (let i = 0; i < 20_000; i++) seen.add(pooledRandomBytes(12).toString('hex'));
    assert.equal(seen.size, 20_000);
  });

  it('gives the caller its own copy, of the size asked for, large sizes included', () => {
    const first = pooledRandomBytes(32);
    const copy = Buffer.from(first);
    pooledRandomBytes(4000);
    assert.deepEqual(first, copy, 'later draws do not change bytes already handed out');
    assert.equal(pooledRandomBytes(5000).length, 5000);
    assert.equal(Buffer.from(randomToken(32), 'base64url').length, 32);
  });

  it('looks uniform: every byte value turns up, none far more often than the others', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4000; i++)
      for (const byte of pooledRandomBytes(64)) counts[byte] = (counts[byte] ?? 0) + 1;
    // 256,000 bytes: 1,000 expected per value; a fair source stays well inside ±25 %.
    assert.ok(
      Math.min(...counts) > 750 && Math.max(...counts) < 1250,
      `${Math.min(...counts)}–${Math.max(...counts)}`,
    );
  });
});
