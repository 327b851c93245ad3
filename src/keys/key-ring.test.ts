import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSealer } from '../crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../db/index.ts';
import { keyStatesAt, loadKeyRing } from './key-ring.ts';
import { ensureSigningKeys, rotateSigningKey } from './signing-keys.ts';

const row = (kid: string, created: string, activates: string | null, retires: string | null) => ({
  kid,
  alg: 'RS384',
  status: 'active',
  created_at: created,
  activates_at: activates,
  retires_at: retires,
});

describe('signing-key states', () => {
  it('next → active → retiring → retired, by the rows’ times', () => {
    const rows = [
      row('old', '2026-01-01T00:00:00Z', null, '2026-01-03T01:00:00Z'),
      row('new', '2026-01-02T00:00:00Z', '2026-01-02T01:00:00Z', null),
    ];
    const at = (iso: string) => Object.fromEntries(keyStatesAt(rows, new Date(iso)));
    assert.deepEqual(at('2026-01-02T00:30:00Z'), { old: 'active', new: 'next' });
    assert.deepEqual(at('2026-01-02T01:00:00Z'), { old: 'retiring', new: 'active' });
    assert.deepEqual(at('2026-01-03T01:00:00Z'), { old: 'retired', new: 'active' });
  });

  it('signs with the oldest of keys generated at the same first start', () => {
    const rows = [row('b', '2026-01-01T00:00:01Z', null, null), row('a', '2026-01-01T00:00:00Z', null, null)];
    assert.equal(keyStatesAt(rows, new Date()).get('a'), 'active');
    assert.equal(keyStatesAt(rows, new Date()).get('b'), 'retiring');
  });
});

describe('rotation and the live key ring', () => {
  it('publishes the new key first, switches after the lead time, drops the old after the grace', async () => {
    const database = openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(database);
      const sealer = createSealer(randomBytes(32));
      await ensureSigningKeys(database.db, sealer);
      let now = new Date('2026-06-01T00:00:00Z');
      const ring = await loadKeyRing(database.db, sealer, () => now);
      const oldKid = ring.signingKey('RS384').kid;
      const es384 = ring.signingKey('ES384').kid;

      const rotation = await rotateSigningKey(database.db, sealer, {
        alg: 'RS384',
        leadSeconds: 3600,
        graceSeconds: 86_400,
        now,
      });
      assert.deepEqual(rotation.replaced, [{ kid: oldKid, retiresAt: '2026-06-02T01:00:00.000Z' }]);
      assert.equal(rotation.activatesAt, '2026-06-01T01:00:00.000Z');
      const before = ring.jwks;
      await ring.reload();
      const kids = () => ring.jwks.keys.map((key) => key.kid).sort();
      assert.deepEqual(kids(), [oldKid, rotation.kid, es384].sort());
      assert.notEqual(ring.jwks, before, 'a new published set is a new object');
      assert.equal(ring.jwks, ring.jwks, 'and stays the same object until it changes');
      assert.equal(ring.signingKey('RS384').kid, oldKid);

      now = new Date('2026-06-01T01:00:00Z');
      assert.equal(ring.signingKey('RS384').kid, rotation.kid, 'switches on time, without a reload');
      assert.equal(ring.signingKey('ES384').kid, es384, 'the other algorithm is untouched');
      now = new Date('2026-06-02T01:00:00Z');
      assert.deepEqual(kids(), [rotation.kid, es384].sort());
      await ring.reload();
      assert.deepEqual(kids(), [rotation.kid, es384].sort());
      assert.equal(
        (await database.db.selectFrom('signing_key').select('kid').execute()).length,
        3,
        'rows are kept',
      );
    } finally {
      await database.close();
    }
  });
});
