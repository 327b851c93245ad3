import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LookupCache } from './lookup-cache.ts';

describe('LookupCache', () => {
  it('returns an entry until its time is up, then reads as missing', () => {
    let now = 1000;
    const cache = new LookupCache<string>(2000, 10, () => now);
    cache.set('a', 'row a');
    now = 2999;
    assert.equal(cache.get('a'), 'row a');
    now = 3000;
    assert.equal(cache.get('a'), undefined);
  });

  it('forgets an entry at once when told', () => {
    const cache = new LookupCache<string>(60_000);
    cache.set('a', 'row a');
    cache.forget('a');
    assert.equal(cache.get('a'), undefined);
  });

  it('keeps at most maxEntries, dropping the oldest first', () => {
    const cache = new LookupCache<number>(60_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c')], [undefined, 2, 3]);
  });

  it('with a time of 0 keeps nothing', () => {
    const cache = new LookupCache<string>(0);
    cache.set('a', 'row a');
    assert.equal(cache.get('a'), undefined);
  });
});
