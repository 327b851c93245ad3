/**
 * The launch hops remember the settings they read (org, source, connection, client, SMART
 * configuration) for `CHARTSIDE_LOOKUP_CACHE_MS`. A change made behind this process's back —
 * another process, a script — reaches launches within that time, and not before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { sandboxLaunch } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const CACHE_MS = 1500;

describe('launch settings remembered for CHARTSIDE_LOOKUP_CACHE_MS', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { CHARTSIDE_LOOKUP_CACHE_MS: String(CACHE_MS) } });
  });
  after(() => stack.close());

  it('repeated launches complete; a connection removed elsewhere stops launches once the time is up', async () => {
    const first = await driveLaunch(stack);
    launchIdFrom(first.callbackResponse);

    // Another process (here: a direct write) removes the org's connection.
    await stack.gateway.services.db.deleteFrom('connection').where('org_id', '=', stack.orgId).execute();
    const second = await driveLaunch(stack);
    launchIdFrom(second.callbackResponse); // both hops still use what they remembered

    await sleep(CACHE_MS + 100);
    const ehrLaunch = await sandboxLaunch(stack.sandbox, stack.clientId);
    const refused = await fetch(ehrLaunch.launch_url, { redirect: 'manual' });
    assert.equal(refused.status, 404);
    assert.match(await refused.text(), /connection_not_configured/);
  });
});
