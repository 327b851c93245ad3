/** Scopes: what we request is the connection's Scopes row; what we keep is what the EHR granted. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setConnection } from '../src/settings/connections.ts';
import { driveLaunch, launchIdFrom, readContext } from './support/launch-driver.ts';
import { type Stack, startStack } from './support/stack.ts';

describe('granted scopes may be fewer than requested (docs/cerner.md §5)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({});
  });
  after(() => stack.close());

  it('requests the configured scopes and stores only the granted ones', async () => {
    const { db, sealer, config } = stack.gateway.services;
    const requested = 'openid fhirUser launch user/Patient.read user/Condition.read offline_access';
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { scopes: requested });
    const { authorizeUrl, callbackResponse } = await driveLaunch(stack);
    assert.equal(authorizeUrl.searchParams.get('scope'), requested);
    const id = launchIdFrom(callbackResponse);
    const { body } = await readContext(stack, id);
    const granted = String(body.scope).split(' ');
    assert.ok(!granted.includes('user/Condition.read'), 'the sandbox app is not registered for Condition');
    assert.ok(granted.includes('user/Patient.read'));
    assert.ok(granted.includes('offline_access'));
    const row = await db
      .selectFrom('ehr_launch')
      .select(['requested_scope', 'scope'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.requested_scope, requested);
    assert.equal(row.scope, body.scope);
  });
});
