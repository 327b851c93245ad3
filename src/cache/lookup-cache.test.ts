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

  it('shares one load among callers that miss together, and remembers its value', async () => {
    const cache = new LookupCache<string>(60_000);
    let loads = 0;
    let finish = (_value: string) => {};
    const load = () => {
      loads += 1;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    };
    const waiting = [cache.getOrLoad('a', load), cache.getOrLoad('a', load), cache.getOrLoad('a', load)];
    finish('row a');
    assert.deepEqual(await Promise.all(waiting), ['row a', 'row a', 'row a']);
    assert.equal(await cache.getOrLoad('a', load), 'row a');
    assert.equal(loads, 1);
  });

  it('does not remember a failed load: each waiting caller gets its error, the next caller loads again', async () => {
    const cache = new LookupCache<string>(60_000);
    let loads = 0;
    const failing = async () => {
      loads += 1;
      throw new Error('database down');
    };
    const results = await Promise.allSettled([cache.getOrLoad('a', failing), cache.getOrLoad('a', failing)]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['rejected', 'rejected'],
    );
    assert.equal(loads, 1);
    assert.equal(await cache.getOrLoad('a', async () => 'row a'), 'row a');
  });

  it('does not remember a load that forget() overtook, nor let it end a newer load', async () => {
    const cache = new LookupCache<string>(60_000);
    let finishOld = (_value: string) => {};
    const old = cache.getOrLoad('a', () => new Promise<string>((resolve) => (finishOld = resolve)));
    cache.forget('a');
    let finishNew = (_value: string) => {};
    const fresh = cache.getOrLoad('a', () => new Promise<string>((resolve) => (finishNew = resolve)));
    finishOld('stale row');
    assert.equal(await old, 'stale row');
    assert.equal(cache.get('a'), undefined);
    let loadsAfter = 0;
    const joined = cache.getOrLoad('a', async () => {
      loadsAfter += 1;
      return 'other';
    });
    finishNew('new row');
    assert.deepEqual([await fresh, await joined], ['new row', 'new row']);
    assert.equal(loadsAfter, 0, 'the newer load was still the one in flight');
    assert.equal(cache.get('a'), 'new row');
  });
});
