/**
 * Fuzzing the FHIR proxy, `/fhir/:launchId/<path>`: random segments (`..`, encoded slashes,
 * absolute URLs, unicode), query shapes, methods, bodies and content types, with and without a
 * valid key, against a real ready launch. Every answer is either the EHR's, relayed after a call
 * that stayed under the launch's FHIR base, or our OperationOutcome with our request id; a
 * request that was refused never reached the EHR.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createApiKey } from '../../src/api/api-keys.ts';
import { ERROR_CODE_SYSTEM } from '../../src/errors/render.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { type Stack, startStack } from '../support/stack.ts';
import {
  asHeaderValue,
  authorizationVariants,
  encodeQuery,
  hostileText,
  looselyEncoded,
  queryPairs,
} from './inputs.ts';
import {
  assertApiError,
  assertFhirError,
  assertNoLeak,
  assertStatusAllowed,
  requestIdOf,
} from './oracles.ts';
import { assertLaunchUnchanged, type SeededLaunch, seedLaunch } from './seeded-launch.ts';
import { CaseCounter, params, report } from './settings.ts';
import { type Answer, inject, recordOutbound, sendRaw } from './wire.ts';

const MAX_REQUEST_BYTES = 4096;
const SEGMENTS = [
  'Patient',
  'Observation',
  'Encounter',
  'Practitioner',
  '12724066',
  '_history',
  '_search',
  '$everything',
  'metadata',
  '.well-known',
  'smart-configuration',
];
const TRICKS = [
  '..',
  '.',
  '',
  '%2e%2e',
  '%2E.',
  '%2F',
  '%5C',
  '\\',
  '%00',
  '//evil.example',
  'https:',
  '@evil.example',
  '%252e%252e',
];
const CONTENT_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'application/fhir+json; charset=utf-8',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
];

describe('fuzz: FHIR proxy', () => {
  let stack: Stack;
  let seeded: SeededLaunch;
  let otherOrgKey: string;
  let outbound: string[];
  const counter = new CaseCounter();

  before(async () => {
    stack = await startStack({ env: { CHARTSIDE_FHIR_MAX_REQUEST_BYTES: String(MAX_REQUEST_BYTES) } });
    seeded = await seedLaunch(stack);
    const { db } = stack.gateway.services;
    otherOrgKey = (await createApiKey(db, (await createOrganization(db, { name: 'Other' })).id, 'test')).key;
    outbound = recordOutbound(stack.gateway);
  });
  after(async () => {
    await assertLaunchUnchanged(stack, seeded);
    await stack.close();
  });

  const launchChoice = fc.oneof(
    { weight: 6, arbitrary: fc.constant('SEEDED') },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `cds-${s}`) },
    { weight: 1, arbitrary: hostileText },
  );
  const segment = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SEGMENTS) },
    { weight: 2, arbitrary: fc.constantFrom(...TRICKS).map((s) => ({ raw: s })) },
    { weight: 2, arbitrary: hostileText },
  );
  /** Mostly paths the sandbox serves (so answers get relayed), else random segments. */
  const path = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ['Patient', '12724066'],
        ['Patient'],
        ['Observation'],
        ['Encounter', '97953477'],
        ['Practitioner', '12742069'],
        ['metadata'],
        ['Patient', '12724066', '_history'],
        [],
      ),
    },
    { weight: 4, arbitrary: fc.array(segment, { maxLength: 5 }) },
  );
  const query = fc.oneof(
    fc.constant(''),
    queryPairs(['patient', '_count', 'category', '_id', 'code', 'date', 'pageContext', '_format']).map(
      encodeQuery,
    ),
    hostileText.map(looselyEncoded),
  );
  const body = fc.oneof(
    fc.json(),
    hostileText,
    fc.constant('{"resourceType":"Patient","id":"x"}'),
    fc.integer({ min: MAX_REQUEST_BYTES - 10, max: MAX_REQUEST_BYTES * 3 }).map((n) => `"${'b'.repeat(n)}"`),
  );

  /** Segments as they go on the wire: tricks raw, the rest percent-encoded (or raw). */
  function pathOf(segments: readonly (string | { raw: string })[], loose: boolean): string {
    return segments
      .map((s) => (typeof s === 'string' ? (loose ? looselyEncoded(s) : encodeURIComponent(s)) : s.raw))
      .join('/');
  }

  const underBase = (url: string) => {
    const base = stack.sandbox.fhirBaseUrl;
    return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
  };

  function check(answer: Answer, calledBefore: number, sentKey: boolean, where: string) {
    assertNoLeak(answer.body, where);
    requestIdOf(answer, where);
    const calls = outbound.slice(calledBefore);
    for (const url of calls) assert.ok(underBase(url), `${where}: called ${url}`);
    const ours = answer.body.includes(ERROR_CODE_SYSTEM);
    if (calls.length === 0 || ours) {
      assertStatusAllowed(answer, assertFhirError(answer, where), where);
    }
    if (!sentKey) assert.equal(calls.length, 0, `${where}: reached the EHR without the key`);
    if (calls.length > 0 && !ours) assert.ok(answer.status < 500, `${where}: EHR answered ${answer.status}`);
  }

  it('answers any path, method, body and key with a relayed EHR answer or an OperationOutcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        launchChoice,
        path,
        query,
        fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 5 }),
        body,
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(`Bearer ${stack.apiKey}`) },
          { weight: 1, arbitrary: fc.constant(`Bearer ${otherOrgKey}`) },
          { weight: 3, arbitrary: authorizationVariants(stack.apiKey) },
        ),
        async (launch, segments, q, method, contentType, payload, auth) => {
          counter.count('requests');
          const launchId = launch === 'SEEDED' ? seeded.id : launch;
          const authorization = auth === undefined ? undefined : asHeaderValue(auth);
          const headers: Record<string, string> = {};
          if (authorization) headers.authorization = authorization;
          const withBody = method !== 'GET' && method !== 'DELETE';
          if (withBody && contentType) headers['content-type'] = contentType;
          const path = `${encodeURIComponent(launchId)}/${pathOf(segments, false)}`;
          const url = `/fhir/${path}${q ? `?${q}` : ''}`;
          const body = withBody && contentType ? payload : undefined;
          const calledBefore = outbound.length;
          // inject() resolves dot segments (`..`, `%2e%2e`) as a WHATWG URL would, before the
          // gateway sees them: such paths go on a socket as they are.
          const answer = path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))
            ? await sendRaw(stack.gatewayUrl, {
                method,
                target: url,
                headers: Object.entries(headers),
                ...(body === undefined ? {} : { body: Buffer.from(body) }),
              })
            : await inject(stack.gateway, { method, url, headers, ...(body === undefined ? {} : { body }) });
          counter.saw('requests', answer.status);
          const sentKey = authorization?.includes(stack.apiKey) ?? false;
          check(
            answer,
            calledBefore,
            sentKey,
            `${method} ${url.slice(0, 300)} ${JSON.stringify(headers).slice(0, 200)}`,
          );
        },
      ),
      params(200),
    );
  });

  it('the raw wire: unencoded paths, absolute and odd targets, repeated headers', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('', '', '', 'http://evil.example', `http://127.0.0.1`, '/', '/fhir/../'),
        path,
        query,
        fc.constantFrom('GET', 'DELETE', 'POST'),
        fc.boolean(),
        fc.array(
          fc.tuple(
            fc.constantFrom('authorization', 'accept', 'content-type', 'prefer', 'if-none-match'),
            hostileText,
          ),
          {
            maxLength: 3,
          },
        ),
        async (prefix, segments, q, method, loose, extra) => {
          counter.count('raw wire');
          const target = `${prefix}/fhir/${seeded.id}/${pathOf(segments, loose)}${q ? `?${q}` : ''}`;
          const headers: [string, string][] = [
            ['authorization', `Bearer ${stack.apiKey}`],
            ...extra.map(([name, value]) => [name, asHeaderValue(value)] as [string, string]),
          ];
          const payload = method === 'POST' ? Buffer.from('{"resourceType":"Parameters"}') : undefined;
          if (payload) headers.push(['content-type', 'application/fhir+json']);
          const calledBefore = outbound.length;
          const answer = await sendRaw(stack.gatewayUrl, {
            method,
            target,
            headers,
            ...(payload ? { body: payload } : {}),
          });
          counter.saw('raw wire', answer.status);
          const where = `raw ${method} ${target.slice(0, 300)} ${JSON.stringify(extra).slice(0, 200)}`;
          // An absolute-form target is routed by its path (RFC 9112 §3.2.2).
          const path = prefix.startsWith('http') ? target.slice(prefix.length) : target;
          if (!path.startsWith('/fhir/')) {
            // Not a path under /fhir/ (`//fhir/…`): no proxy route, the API's own 404.
            assertNoLeak(answer.body, where);
            assert.equal(outbound.length, calledBefore, `${where}: reached the EHR`);
            assertStatusAllowed(answer, assertApiError(answer, where), where);
            return;
          }
          // Node keeps the first of repeated Authorization headers: the valid key.
          check(answer, calledBefore, true, where);
        },
      ),
      // Found by this suite: raw non-ASCII in an absolute-form target was answered in the API envelope.
      { ...params(100), examples: [['http://127.0.0.1', [], '\u202e', 'GET', false, []]] },
    );
    report(t, counter, 'FHIR proxy');
  });
});
