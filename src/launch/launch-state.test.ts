import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openSeededMemoryDatabase } from '../../test/support/memory-database.ts';
import { createSealer } from '../crypto/sealing.ts';
import type { DatabaseHandle } from '../db/index.ts';
import { createPendingLaunch } from './ehr-launches.ts';
import { consumeLaunchState, newState } from './launch-state.ts';

describe('launch state (single use, ten minutes, server-side)', () => {
  let handle: DatabaseHandle;
  const sealer = createSealer(randomBytes(32));
  let orgId: string;
  before(async () => {
    ({ handle, orgId } = await openSeededMemoryDatabase());
  });
  after(() => handle.close());

  async function pendingLaunch(state: string) {
    return createPendingLaunch(
      handle.db,
      sealer,
      {
        orgId,
        fhirSourceId: 'fhirsrc_1',
        environment: 'sandbox',
        iss: 'https://ehr.example/fhir',
        clientId: 'client-1',
        requestedScope: 'launch openid',
        codeVerifier: 'verifier-123',
        redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
        requestId: 'req-1',
      },
      state,
    );
  }

  it('has at least 128 bits and is never repeated', () => {
    const states = new Set(Array.from({ length: 1000 }, newState));
    assert.equal(states.size, 1000);
    for (const state of states) assert.ok(Buffer.from(state, 'base64url').length >= 16);
  });

  it('is stored hashed, with the PKCE verifier sealed', async () => {
    const state = newState();
    await pendingLaunch(state);
    const rows = await handle.db.selectFrom('launch_state').selectAll().execute();
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(state), 'the raw state is not stored');
    assert.ok(!text.includes('verifier-123'), 'the verifier is sealed');
  });

  it('can be consumed exactly once, and returns what the launch needs', async () => {
    const state = newState();
    const launchId = await pendingLaunch(state);
    const taken = await consumeLaunchState(handle.db, sealer, state);
    const { created_at } = await handle.db
      .selectFrom('launch_state')
      .select('created_at')
      .where('launch_id', '=', launchId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(taken, {
      launchId,
      orgId,
      fhirSourceId: 'fhirsrc_1',
      codeVerifier: 'verifier-123',
      redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
      clientId: 'client-1',
      startedAt: created_at,
    });
    assert.equal(await consumeLaunchState(handle.db, sealer, state), null);
  });

  it('of two racing consumers, exactly one wins', async () => {
    const state = newState();
    await pendingLaunch(state);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => consumeLaunchState(handle.db, sealer, state)),
    );
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('expires after ten minutes and is unknown when never issued', async () => {
    const state = newState();
    await pendingLaunch(state);
    const elevenMinutesLater = new Date(Date.now() + 11 * 60_000);
    assert.equal(await consumeLaunchState(handle.db, sealer, state, elevenMinutesLater), null);
    const nineMinutesLater = new Date(Date.now() + 9 * 60_000);
    assert.ok(await consumeLaunchState(handle.db, sealer, state, nineMinutesLater));
    assert.equal(await consumeLaunchState(handle.db, sealer, newState()), null);
  });
});
