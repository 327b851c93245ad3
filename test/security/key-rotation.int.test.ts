/**
 * Signing-key rotation with `chartside keys rotate`, against a running gateway and the local
 * sandbox (which verifies our client assertions against our JWKS URL):
 * the new key is published at once but signs only after the publication lead time; the old key
 * keeps signing until then and stays published for the grace period; then it leaves the JWKS.
 * The gateway picks the rotation up without a restart. Time is moved with the gateway's key
 * clock (buildApp's `keyClock`), not by waiting.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { runChartside } from '../support/cli.ts';
import { driveLaunch, launchIdFrom } from '../support/launch-driver.ts';
import { clearRecordedRequests, recordedRequests } from '../support/sandbox-controls.ts';
import { type Stack, startStack } from '../support/stack.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('signing-key rotation (chartside keys rotate)', () => {
  let stack: Stack;
  let offsetMs = 0;

  before(async () => {
    stack = await startStack({
      authMethod: 'private_key_jwt',
      env: { CHARTSIDE_KEY_RELOAD_SECONDS: '1' },
      build: { keyClock: () => new Date(Date.now() + offsetMs) },
    });
  });
  after(() => stack.close());

  const jwksKids = async () => {
    const response = await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`);
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: { kid: string; alg: string }[] };
    return keys.filter((key) => key.alg === 'RS384').map((key) => key.kid);
  };

  /** A whole launch through the sandbox; returns the kid of the client assertion it verified. */
  const launchAndAssertionKid = async () => {
    await clearRecordedRequests(stack.sandbox);
    const launch = await driveLaunch(stack);
    launchIdFrom(launch.callbackResponse); // the sandbox accepted the assertion: the launch completed
    const [token] = await recordedRequests(stack.sandbox, 'token');
    const assertion = token?.form?.client_assertion;
    assert.ok(assertion, 'the token request carried a client assertion');
    return decodeProtectedHeader(assertion).kid;
  };

  it('publishes the new key at once, keeps signing with the old one until the lead time has passed, then switches', async () => {
    const [oldKid] = await jwksKids();
    assert.ok(oldKid);
    assert.equal(await launchAndAssertionKid(), oldKid);

    const { config } = stack.gateway.services;
    const rotated = await runChartside(
      {
        PATH: process.env.PATH,
        DATABASE_URL: stack.database.url,
        CHARTSIDE_MASTER_KEY: config.masterKey.toString('base64'),
        PUBLIC_URL: config.publicUrl,
        CHARTSIDE_ENV: 'test',
      },
      ['keys', 'rotate', '--json'],
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    const output = JSON.parse(rotated.stdout) as { id: string; alg: string; activates_at: string };
    assert.equal(output.alg, 'RS384');
    assert.notEqual(output.id, oldKid);
    const newKid = output.id;
    // Default lead time: one hour after the rotation.
    const lead = Date.parse(output.activates_at) - Date.now();
    assert.ok(lead > HOUR - 60_000 && lead <= HOUR, `lead ${lead} ms`);

    // No restart: the running gateway re-reads its keys (every second in this test).
    for (let waited = 0; !(await jwksKids()).includes(newKid); waited += 100) {
      assert.ok(waited < 10_000, 'the rotation was not picked up');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual((await jwksKids()).sort(), [oldKid, newKid].sort());
    assert.equal(await launchAndAssertionKid(), oldKid, 'the new key does not sign before the lead time');

    // The hour passes for the gateway only; the sandbox, like an EHR, re-fetches a JWKS for an
    // unknown kid at most once a second (sandbox/client-jwks.ts), so let that second pass too.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    offsetMs = HOUR + 1000;
    assert.equal(await launchAndAssertionKid(), newKid, 'after the lead time the new key signs');
    assert.deepEqual((await jwksKids()).sort(), [oldKid, newKid].sort(), 'the old key is still served');

    offsetMs = HOUR + DAY - 60_000;
    assert.ok((await jwksKids()).includes(oldKid), 'still served just before the grace period ends');

    offsetMs = HOUR + DAY + 60_000;
    assert.deepEqual(await jwksKids(), [newKid], 'after the grace period the old key is gone');
    assert.equal(await launchAndAssertionKid(), newKid);

    // The row is kept as history; the console shows each key's state.
    const rows = await stack.gateway.services.db
      .selectFrom('signing_key')
      .select(['kid', 'retires_at'])
      .where('alg', '=', 'RS384')
      .execute();
    assert.equal(rows.length, 2);
    assert.ok(rows.find((row) => row.kid === oldKid)?.retires_at);
  });

  it('refuses an unknown algorithm or subcommand with exit 2 and one line', async () => {
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: stack.database.url,
      CHARTSIDE_MASTER_KEY: stack.gateway.services.config.masterKey.toString('base64'),
      PUBLIC_URL: 'https://gw.example.org',
    };
    const badAlg = await runChartside(env, ['keys', 'rotate', '--alg', 'HS256']);
    assert.equal(badAlg.code, 2);
    assert.match(badAlg.stderr.trim(), /^chartside: --alg must be one of RS384, ES384$/);
    const badSub = await runChartside(env, ['keys', 'spin']);
    assert.equal(badSub.code, 2);
  });
});
