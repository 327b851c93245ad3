/** The launch lifecycle's database mechanics: leases (refresh and sweeper) and the sweeper. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openSeededMemoryDatabase } from '../../test/support/memory-database.ts';
import { createSealer } from '../crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../db/index.ts';
import { createPendingLaunch } from './ehr-launches.ts';
import { completeLaunch } from './launch-completion.ts';
import { newState } from './launch-state.ts';
import { newHolderId, releaseLease, tryAcquireLease } from './lease.ts';
import { effectiveStatus } from './lifecycle.ts';
import { sweepLaunches } from './sweeper.ts';

describe('leases in the database', () => {
  let handle: DatabaseHandle;
  before(async () => {
    handle = openDatabase('sqlite::memory:');
    await migrateToLatest(handle);
  });
  after(() => handle.close());

  const t0 = Date.parse('2026-06-09T14:30:00.000Z');
  const terms = { ttlMs: 15_000, minIntervalMs: 60_000 };

  it('one holder at a time; others learn until when it is held', async () => {
    const [a, b] = [newHolderId(), newHolderId()];
    assert.deepEqual(await tryAcquireLease(handle.db, 'one', a, terms, t0), { acquired: true, holder: a });
    assert.deepEqual(await tryAcquireLease(handle.db, 'one', b, terms, t0 + 10), {
      acquired: false,
      heldUntil: t0 + 15_000,
      nextAllowedAt: t0 + 60_000,
    });
  });

  it('of many racing takers exactly one wins', async () => {
    const holders = Array.from({ length: 20 }, newHolderId);
    const attempts = await Promise.all(
      holders.map((holder) => tryAcquireLease(handle.db, 'race', holder, terms, t0)),
    );
    assert.equal(attempts.filter((attempt) => attempt.acquired).length, 1);
  });

  it('a released lease stays throttled until the minimum interval has passed', async () => {
    const [a, b] = [newHolderId(), newHolderId()];
    await tryAcquireLease(handle.db, 'throttled', a, terms, t0);
    await releaseLease(handle.db, 'throttled', a, t0 + 100);
    const early = await tryAcquireLease(handle.db, 'throttled', b, terms, t0 + 59_999);
    assert.deepEqual(early, { acquired: false, heldUntil: null, nextAllowedAt: t0 + 60_000 });
    assert.equal((await tryAcquireLease(handle.db, 'throttled', b, terms, t0 + 60_000)).acquired, true);
  });

  it('a holder that died frees the lease when it expires; its late release changes nothing', async () => {
    const [dead, next] = [newHolderId(), newHolderId()];
    const free = { ttlMs: 1000 };
    await tryAcquireLease(handle.db, 'crash', dead, free, t0);
    assert.equal((await tryAcquireLease(handle.db, 'crash', next, free, t0 + 999)).acquired, false);
    assert.equal((await tryAcquireLease(handle.db, 'crash', next, free, t0 + 1000)).acquired, true);
    await releaseLease(handle.db, 'crash', dead, t0 + 1001);
    const row = await handle.db
      .selectFrom('lease')
      .selectAll()
      .where('name', '=', 'crash')
      .executeTakeFirstOrThrow();
    assert.equal(row.holder, next, 'still held by the new holder');
  });
});

const config = { maxSessionAgeSeconds: 3600 };
const HOUR = 3_600_000;

describe('the launch sweeper', () => {
  let handle: DatabaseHandle;
  const sealer = createSealer(randomBytes(32));
  let orgId: string;

  before(async () => {
    ({ handle, orgId } = await openSeededMemoryDatabase());
  });
  after(() => handle.close());

  async function launch(ready: boolean, refreshToken: string | null, expiresIn = 570) {
    const id = await createPendingLaunch(
      handle.db,
      sealer,
      {
        orgId,
        fhirSourceId: 'fhirsrc_1',
        environment: 'sandbox',
        iss: 'https://ehr.example/fhir',
        clientId: 'c',
        requestedScope: 'launch',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://gw.example/cb',
        requestId: 'r',
      },
      newState(),
    );
    if (ready) {
      await completeLaunch(
        handle.db,
        sealer,
        { id, orgId, fhirSourceId: 'fhirsrc_1' },
        {
          accessToken: 'at',
          refreshToken,
          expiresIn,
          scope: 'launch',
          patient: null,
          encounter: null,
          needPatientBanner: null,
          smartStyleUrl: null,
          tenant: null,
          idTokenClaims: null,
          fhirUser: null,
        },
        'r',
      );
    }
    return id;
  }
  const row = (id: string) =>
    handle.db.selectFrom('ehr_launch').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('ends launches that ran out of time, deletes their tokens and expired states, and audits each once', async () => {
    const old = await launch(true, 'rt');
    const noRefresh = await launch(true, null, 60);
    const fresh = await launch(true, 'rt');
    const abandoned = await launch(false, null);
    const stillSigningIn = await launch(false, null);
    await handle.db
      .updateTable('ehr_launch')
      .set({ created_at: new Date(Date.now() - 2 * HOUR).toISOString() })
      .where('id', 'in', [old, abandoned])
      .execute();
    await handle.db
      .updateTable('launch_state')
      .set({ expires_at: new Date(Date.now() - 2 * HOUR).toISOString() })
      .where('launch_id', '=', abandoned)
      .execute();
    const now = new Date(Date.now() + 120_000); // two minutes on: the 60 s token has run out
    assert.equal(
      effectiveStatus(await row(old), config, now.getTime()),
      'expired',
      'visible before the sweep',
    );

    // Two processes sweeping at the same moment end each launch once.
    const results = await Promise.all([
      sweepLaunches(handle.db, config, now),
      sweepLaunches(handle.db, config, now),
    ]);
    assert.equal(results[0].expired + results[1].expired, 2);
    assert.equal(results[0].abandoned + results[1].abandoned, 1);

    const expected: [string, string, string | null][] = [
      [old, 'expired', 'max_session_age'],
      [noRefresh, 'expired', 'access_token_expired'],
      [fresh, 'ready', null],
      [abandoned, 'expired', 'launch_abandoned'],
      [stillSigningIn, 'pending', null],
    ];
    for (const [id, status, reason] of expected) {
      const launchRow = await row(id);
      assert.deepEqual([launchRow.status, launchRow.end_reason], [status, reason], id);
      if (status === 'expired') {
        assert.equal(launchRow.access_token, null);
        assert.equal(launchRow.refresh_token, null);
        assert.ok(launchRow.ended_at);
      }
    }
    assert.ok((await row(fresh)).access_token, 'a live launch keeps its tokens');
    const audits = await handle.db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'launch.expired')
      .execute();
    assert.deepEqual(audits.map((audit) => audit.launch_id).sort(), [old, noRefresh, abandoned].sort());
    assert.ok(audits.every((audit) => audit.actor === 'system:sweeper'));

    const states = await handle.db.selectFrom('launch_state').select('launch_id').execute();
    const remaining = states.map((state) => state.launch_id);
    assert.ok(!remaining.includes(abandoned), 'the expired launch state is deleted');
    assert.ok(remaining.includes(stillSigningIn), 'a live launch state is kept');
  });
});
