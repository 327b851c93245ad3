import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSeededMemoryDatabase } from '../../test/support/memory-database.ts';
import { LookupCache } from '../cache/lookup-cache.ts';
import type { DatabaseHandle } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { authenticateApiKey, createApiKey, type VerifiedApiKey } from './api-keys.ts';

const refusedAs = (code: string) => (error: unknown) =>
  error instanceof ChartsideError && error.code === code;

describe('API key checks with the lookup cache', () => {
  let handle: DatabaseHandle;
  let orgId: string;
  before(async () => {
    ({ handle, orgId } = await openSeededMemoryDatabase());
  });
  after(() => handle.close());

  it('a remembered key still has to match: another secret under the same prefix is refused', async () => {
    const cache = new LookupCache<VerifiedApiKey>(60_000);
    const { key, prefix } = await createApiKey(handle.db, orgId, 'test');
    const principal = await authenticateApiKey(handle.db, `Bearer ${key}`, { cache });
    assert.equal(principal.orgId, orgId);
    assert.ok(cache.get(prefix), 'the verified key is remembered');
    const forged = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    await assert.rejects(
      authenticateApiKey(handle.db, `Bearer ${forged}`, { cache }),
      refusedAs('invalid_api_key'),
    );
  });

  it('a key revoked by another process works here until the cache time is up, then is refused', async () => {
    let now = Date.parse('2026-11-29T10:00:00Z');
    const cache = new LookupCache<VerifiedApiKey>(2000, 100, () => now);
    const { key, id } = await createApiKey(handle.db, orgId, 'test');
    await authenticateApiKey(handle.db, `Bearer ${key}`, { cache, now: new Date(now) });
    // Another process revokes it: this process has not been told.
    await handle.db
      .updateTable('api_key')
      .set({ revoked_at: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute();
    now += 1999;
    await authenticateApiKey(handle.db, `Bearer ${key}`, { cache, now: new Date(now) });
    now += 1;
    await assert.rejects(
      authenticateApiKey(handle.db, `Bearer ${key}`, { cache, now: new Date(now) }),
      refusedAs('invalid_api_key'),
    );
  });

  it('refused keys are not remembered', async () => {
    const cache = new LookupCache<VerifiedApiKey>(60_000);
    const unknown = `cs_sk_${'a'.repeat(12)}_${'b'.repeat(40)}`;
    await assert.rejects(
      authenticateApiKey(handle.db, `Bearer ${unknown}`, { cache }),
      refusedAs('invalid_api_key'),
    );
    assert.equal(cache.get('a'.repeat(12)), undefined);
  });
});
