/**
 * Fuzzing the app API, `GET /launch-contexts/:id`: random ids, `Authorization` variants (no
 * scheme, wrong scheme, `cs_sk_` lookalikes, another org's key, very long, non-ASCII) and
 * `Version` variants. Every answer is the launch context (only for the right key and id) or the
 * error envelope with our request id; the seeded launch reads back unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createApiKey } from '../../src/api/api-keys.ts';
import { API_VERSIONS } from '../../src/api/versioning.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { asHeaderValue, authorizationVariants, hostileText, looselyEncoded } from './inputs.ts';
import { assertApiError, assertNoLeak, assertStatusAllowed, requestIdOf } from './oracles.ts';
import { assertLaunchUnchanged, type SeededLaunch, seedLaunch } from './seeded-launch.ts';
import { CaseCounter, params, report } from './settings.ts';
import { type Answer, inject, sendRaw } from './wire.ts';

describe('fuzz: app API', () => {
  let stack: Stack;
  let seeded: SeededLaunch;
  let otherOrgKey: string;
  const counter = new CaseCounter();

  before(async () => {
    stack = await startStack({});
    seeded = await seedLaunch(stack);
    const { db } = stack.gateway.services;
    const other = await createOrganization(db, { name: 'Other Clinic' });
    otherOrgKey = (await createApiKey(db, other.id, 'test')).key;
  });
  after(async () => {
    await assertLaunchUnchanged(stack, seeded);
    await stack.close();
  });

  /** The seeded id, a mutation of it, a random uuid, or hostile text. */
  const launchId = fc.oneof(
    { weight: 2, arbitrary: fc.constant('SEEDED') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        (id: string) => id.toUpperCase(),
        (id: string) => `${id}x`,
        (id: string) => id.slice(1),
        (id: string) => ` ${id}`,
        (id: string) => `${id}/`,
        (id: string) => `${id}%00`,
        (id: string) => id.replaceAll('-', ''),
        (id: string) => `{${id}}`,
      ),
    },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 3, arbitrary: hostileText },
  );
  const version = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(...API_VERSIONS, '2026-11-30', '2025-01-01', '', 'latest', '2026-11-29T00:00:00Z'),
    hostileText,
  );

  function idOf(choice: string | ((id: string) => string)): string {
    if (typeof choice === 'function') return choice(seeded.id);
    return choice === 'SEEDED' ? seeded.id : choice;
  }

  /** The context, only for this org's key, a supported version and the launch's exact id; else the envelope. */
  function check(
    answer: Answer,
    request: { id: string; authorization?: string; version?: string },
    where: string,
  ) {
    assertNoLeak(answer.body, where);
    requestIdOf(answer, where);
    const supported =
      request.version === undefined || (API_VERSIONS as readonly string[]).includes(request.version);
    const canonical =
      request.id === seeded.id && request.authorization === `Bearer ${stack.apiKey}` && supported;
    if (answer.status === 200) {
      assert.equal(request.id, seeded.id, `${where}: 200 for another id`);
      assert.ok(request.authorization?.includes(stack.apiKey), `${where}: 200 without the key`);
      assert.ok(supported, `${where}: 200 for an unsupported version`);
      assert.deepEqual(JSON.parse(answer.body), seeded.context, `${where}: context`);
      return;
    }
    const code = assertApiError(answer, where);
    assertStatusAllowed(answer, code, where);
    if (canonical) assert.equal(code, 'rate_limited', `${where}: a valid request refused with ${code}`);
  }

  it('answers any id, key and version with the context or the error envelope', async () => {
    await fc.assert(
      fc.asyncProperty(
        launchId,
        fc.oneof(authorizationVariants(stack.apiKey), fc.constant(`Bearer ${otherOrgKey}`)),
        version,
        async (idChoice, authChoice, versionChoice) => {
          counter.count('inject');
          const id = idOf(idChoice);
          const authorization = authChoice === undefined ? undefined : asHeaderValue(authChoice);
          const version = versionChoice === undefined ? undefined : asHeaderValue(versionChoice);
          const headers: Record<string, string> = {};
          if (authorization !== undefined) headers.authorization = authorization;
          if (version !== undefined) headers.version = version;
          const answer = await inject(stack.gateway, {
            method: 'GET',
            url: `/launch-contexts/${encodeURIComponent(id)}`,
            headers,
          });
          counter.saw('inject', answer.status);
          check(
            answer,
            {
              id,
              ...(authorization === undefined ? {} : { authorization }),
              ...(version === undefined ? {} : { version }),
            },
            `GET /launch-contexts ${JSON.stringify({ id, authorization, version }).slice(0, 400)}`,
          );
        },
      ),
      params(200),
    );
  });

  it('the raw wire: unencoded ids, repeated and oversized headers', async (t) => {
    const header = fc.tuple(
      fc.constantFrom('authorization', 'version', 'Authorization', 'x-request-id', 'cookie'),
      fc.oneof(
        fc.constantFrom(`Bearer KEY`, 'Bearer OTHER', API_VERSIONS[0] as string),
        hostileText,
        fc.integer({ min: 1000, max: 20_000 }).map((n) => `Bearer cs_sk_${'k'.repeat(n)}`),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        launchId,
        fc.array(header, { maxLength: 4 }),
        fc.boolean(),
        async (idChoice, headers, loose) => {
          counter.count('raw wire');
          const id = idOf(idChoice);
          const target = `/launch-contexts/${loose ? looselyEncoded(id) : encodeURIComponent(id)}`;
          const sent = headers.map(
            ([name, value]) =>
              [name, asHeaderValue(value.replace('KEY', stack.apiKey).replace('OTHER', otherOrgKey))] as [
                string,
                string,
              ],
          );
          const answer = await sendRaw(stack.gatewayUrl, { method: 'GET', target, headers: sent });
          counter.saw('raw wire', answer.status);
          const where = `raw GET ${target.slice(0, 200)} ${JSON.stringify(sent).slice(0, 300)}`;
          assertNoLeak(answer.body, where);
          requestIdOf(answer, where);
          if (answer.status === 200) {
            assert.ok(
              sent.some(
                ([name, value]) => name.toLowerCase() === 'authorization' && value.includes(stack.apiKey),
              ),
              `${where}: 200 without the key`,
            );
            assert.deepEqual(JSON.parse(answer.body), seeded.context, `${where}: context`);
            return;
          }
          assertStatusAllowed(answer, assertApiError(answer, where), where);
        },
      ),
      params(100),
    );
    report(t, counter, 'app API');
  });
});
