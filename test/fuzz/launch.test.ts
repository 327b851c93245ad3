/**
 * Fuzzing the browser-facing launch surface: the SMART Launch URI and the Redirect URI with
 * random query strings (repeated, empty, encoded and raw), against a real stack. Every answer is
 * a redirect to the registered EHR's authorize endpoint or an HTML error page with our code and
 * request id, reflecting input only escaped; the one 5xx allowed is a 502 blaming the EHR.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sha256Hex } from '../../src/crypto/random.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { asHeaderValue, encodeQuery, hostileText, looselyEncoded, queryPairs } from './inputs.ts';
import { assertHtmlError, assertNoLeak, assertStatusAllowed, requestIdOf } from './oracles.ts';
import { assertLaunchUnchanged, type SeededLaunch, seedLaunch } from './seeded-launch.ts';
import { CaseCounter, params, report } from './settings.ts';
import { type Answer, inject, sendRaw } from './wire.ts';

const LAUNCH_PARAMS = ['iss', 'launch'];
const CALLBACK_PARAMS = ['code', 'state', 'error', 'error_uri', 'error_description'];

describe('fuzz: launch and callback', () => {
  let stack: Stack;
  let seeded: SeededLaunch;
  let authorizeEndpoint: string;
  const counter = new CaseCounter();

  before(async () => {
    stack = await startStack({});
    seeded = await seedLaunch(stack);
    const start = await launchWith([
      ['iss', stack.sandbox.fhirBaseUrl],
      ['launch', 'probe'],
    ]);
    assert.equal(start.status, 302);
    const location = new URL(start.header('location') as string);
    authorizeEndpoint = `${location.origin}${location.pathname}`;
  });
  after(async () => {
    await assertLaunchUnchanged(stack, seeded);
    await stack.close();
  });

  const launchWith = (pairs: [string, string][], orgId = stack.orgId) =>
    inject(stack.gateway, {
      method: 'GET',
      url: `/api/auth/smart/launch/${encodeURIComponent(orgId)}?${encodeQuery(pairs)}`,
    });

  /** Either the redirect to the EHR (302) or the error page; never anything else. */
  function checkLaunchAnswer(answer: Answer, inputs: string[], where: string) {
    assertNoLeak(answer.body, where);
    requestIdOf(answer, where);
    if (answer.status === 302) {
      const location = new URL(answer.header('location') as string);
      assert.equal(`${location.origin}${location.pathname}`, authorizeEndpoint, `${where}: redirect target`);
      assert.equal(location.searchParams.get('aud'), stack.sandbox.fhirBaseUrl, `${where}: aud`);
      return location;
    }
    assertStatusAllowed(answer, assertHtmlError(answer, inputs, where), where);
    return null;
  }

  const issValue = fc.oneof(
    { weight: 2, arbitrary: hostileText },
    { weight: 3, arbitrary: fc.constant('SANDBOX') },
    {
      weight: 1,
      arbitrary: fc.constantFrom('/', '/metadata', '?x=1', '%2F', '#'.repeat(3)).map((s) => `SANDBOX${s}`),
    },
  );

  /** Usually an iss and a launch (so the checks past them run), plus random extras. */
  const launchQuery = fc
    .tuple(
      fc.option(issValue, { freq: 4 }),
      fc.option(hostileText, { freq: 4 }),
      queryPairs(LAUNCH_PARAMS, fc.oneof(issValue, hostileText), 3),
    )
    .map(([iss, launch, extra]): [string, string][] => [
      ...(iss === null ? [] : [['iss', iss] as [string, string]]),
      ...(launch === null ? [] : [['launch', launch] as [string, string]]),
      ...extra,
    ]);

  it('the Launch URI answers any query with the EHR redirect or an escaped error page', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: fc.constant('ORG') }, { weight: 1, arbitrary: hostileText }),
        launchQuery,
        async (org, rawPairs) => {
          counter.count('launch');
          const orgId = org === 'ORG' ? stack.orgId : org;
          const pairs = rawPairs.map(([name, value]) => [name, sandboxed(value)] as [string, string]);
          const answer = await launchWith(pairs, orgId);
          counter.saw('launch', answer.status);
          const where = `launch ${JSON.stringify([orgId.slice(0, 40), pairs])}`.slice(0, 600);
          const location = checkLaunchAnswer(answer, [orgId, ...pairs.flat()], where);
          if (location) {
            // Only a launch naming exactly one registered iss and one launch gets this far.
            const launch = pairs.filter(([name]) => name === 'launch');
            assert.equal(launch.length, 1, where);
            assert.equal(location.searchParams.get('launch'), launch[0]?.[1], `${where}: launch relayed`);
          }
        },
      ),
      params(150),
    );
  });

  it('the Redirect URI answers any query with an escaped error page and leaves no launch half-done', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        queryPairs(CALLBACK_PARAMS),
        fc.option(fc.constantFrom('access_denied', 'invalid_scope', 'server_error'), { nil: undefined }),
        async (realState, pairs, ehrError) => {
          const label = realState ? 'callback (real state)' : 'callback';
          counter.count(label);
          const all = [...pairs];
          if (ehrError) all.push(['error', ehrError]);
          const state = realState ? await freshState() : null;
          if (state) all.unshift(['state', state]);
          const answer = await inject(stack.gateway, {
            method: 'GET',
            url: `/api/auth/smart/launch-callback?${encodeQuery(all)}`,
          });
          counter.saw(label, answer.status);
          const where = `callback ${JSON.stringify(all)}`.slice(0, 600);
          assertNoLeak(answer.body, where);
          // A random code or an EHR error never completes a launch: no redirect to the app.
          const code = assertHtmlError(answer, all.flat(), where);
          assertStatusAllowed(answer, code, where);
          const launch = state ? await launchOfState(state) : null;
          if (!state || all.filter(([name]) => name === 'state').length > 1) {
            assert.equal(code, 'invalid_state', where);
            // A refused callback does not touch the launch its state belongs to.
            if (launch) assert.equal(launch.status, 'pending', `${where}: launch status`);
          } else {
            assert.ok(['oauth_error', 'token_exchange_failed'].includes(code), `${where}: ${code}`);
            // The launch is over, failed with the same reason: never half-written or left pending.
            assert.deepEqual(launch, { status: 'failed', error_code: code }, `${where}: launch`);
          }
        },
      ),
      params(100),
    );
  });

  it('the raw wire: unencoded bytes, broken percent-encoding, repeated and huge headers', async (t) => {
    const header = fc.tuple(
      fc.constantFrom('cookie', 'referer', 'accept', 'x-forwarded-for', 'user-agent', 'x-request-id'),
      fc.oneof(
        hostileText,
        fc.integer({ min: 1000, max: 20_000 }).map((n) => 'h'.repeat(n)),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.oneof(fc.constant('ORG'), hostileText),
        queryPairs([...LAUNCH_PARAMS, ...CALLBACK_PARAMS], fc.oneof(issValue, hostileText)),
        fc.array(header, { maxLength: 4 }),
        fc.boolean(),
        async (callback, org, rawPairs, headers, loose) => {
          counter.count('raw wire');
          const encode = loose ? looselyEncoded : encodeURIComponent;
          const pairs = rawPairs.map(([name, value]) => [name, sandboxed(value)] as [string, string]);
          const query = pairs.map(([n, v]) => `${encode(n)}=${encode(v)}`).join('&');
          const orgId = org === 'ORG' ? stack.orgId : encode(org);
          const target = callback
            ? `/api/auth/smart/launch-callback?${query}`
            : `/api/auth/smart/launch/${orgId}?${query}`;
          const answer = await sendRaw(stack.gatewayUrl, {
            method: 'GET',
            target,
            headers: headers.map(([name, value]) => [name, asHeaderValue(value)]),
          });
          counter.saw('raw wire', answer.status);
          checkLaunchAnswer(answer, [org, ...pairs.flat()], `raw GET ${target.slice(0, 300)}`);
        },
      ),
      // Found by this suite: a NUL in the request line got Fastify's bare JSON, no request id.
      { ...params(80), examples: [[false, 'ORG', [['\u0000', 'SANDBOX']], [], true]] },
    );
    report(t, counter, 'launch + callback');
  });

  function sandboxed(value: string): string {
    return value.replace('SANDBOX', stack.sandbox.fhirBaseUrl);
  }

  /** The status of the launch a state was issued for, read from the database. */
  async function launchOfState(state: string) {
    const { db } = stack.gateway.services;
    const row = await db
      .selectFrom('launch_state')
      .innerJoin('ehr_launch', 'ehr_launch.id', 'launch_state.launch_id')
      .select(['ehr_launch.status', 'ehr_launch.error_code'])
      .where('launch_state.state_hash', '=', sha256Hex(state))
      .executeTakeFirstOrThrow();
    return { status: row.status, error_code: row.error_code };
  }

  /** A state the gateway issued for a real launch start (its callback is still to come). */
  async function freshState(): Promise<string> {
    const start = await launchWith([
      ['iss', stack.sandbox.fhirBaseUrl],
      ['launch', 'fuzz'],
    ]);
    assert.equal(start.status, 302, start.body);
    return new URL(start.header('location') as string).searchParams.get('state') as string;
  }
});
