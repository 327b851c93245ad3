/**
 * Fuzzing what comes before any route: methods (HEAD, OPTIONS, TRACE, CONNECT, lower case,
 * unknown), framing headers (`Expect: 100-continue`, broken `Content-Length`, `Upgrade`, repeated
 * `Host`) and raw bytes, sent on a socket to every surface. Whatever Node's parser, the router or
 * a handler refuses, the answer is in that surface's format with our request id.
 */
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type Stack, startStack } from '../support/stack.ts';
import { asHeaderValue, hostileText, looselyEncoded } from './inputs.ts';
import { assertHeadAnswer, assertNoLeak, assertSurfaceError, requestIdOf, surfaceOfPath } from './oracles.ts';
import { CaseCounter, params, report } from './settings.ts';
import { sendRaw } from './wire.ts';

const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'get',
  'FOO',
  'PROPFIND',
];
const FRAMING: [string, string][] = [
  ['expect', '100-continue'],
  ['content-length', 'abc'],
  ['content-length', '-1'],
  ['upgrade', 'websocket'],
  ['connection', 'upgrade'],
  ['host', 'evil.example'],
  ['x-forwarded-host', 'evil.example'],
  ['x-forwarded-proto', 'javascript'],
  ['x-request-id', '<script>alert(1)</script>'],
];

describe('fuzz: HTTP framing at every surface', () => {
  let stack: Stack;
  const counter = new CaseCounter();

  before(async () => {
    stack = await startStack({});
  });
  after(() => stack.close());

  it('answers odd methods, framing and bytes in the surface’s format with a request id', async (t) => {
    const targets = [
      `/launch-contexts/${randomUUID()}`,
      `/fhir/${randomUUID()}/Patient`,
      `/api/cds/${stack.orgId}/cds-services`,
      `/api/cds/${stack.orgId}/cds-services/statins`,
      `/api/auth/smart/launch/${stack.orgId}?iss=x&launch=y`,
      '/api/auth/smart/launch-callback?state=x',
      '/api/auth/smart/unknown',
      '/unknown',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...targets),
        fc.option(hostileText, { freq: 2 }),
        fc.constantFrom(...METHODS),
        fc.oneof(fc.constant([]), fc.subarray(FRAMING, { maxLength: 3 })),
        fc.boolean(),
        fc.option(hostileText.map(asHeaderValue)),
        async (base, suffix, method, framing, withKey, forwardedFor) => {
          counter.count('framing');
          const target =
            suffix === null ? base : `${base}${base.includes('?') ? '&' : '/'}${looselyEncoded(suffix)}`;
          const headers: [string, string][] = [...framing];
          if (withKey) headers.push(['authorization', `Bearer ${stack.apiKey}`]);
          if (forwardedFor !== null) headers.push(['x-forwarded-for', forwardedFor]);
          const body = method === 'POST' ? Buffer.from('{"a":1}') : undefined;
          if (body) headers.push(['content-type', 'application/json']);
          const answer = await sendRaw(stack.gatewayUrl, {
            method,
            target,
            headers,
            ...(body ? { body } : {}),
          });
          counter.saw('framing', answer.status);
          const where = `raw ${method} ${target.slice(0, 200)} ${JSON.stringify(headers).slice(0, 300)}`;
          assertNoLeak(answer.body, where);
          requestIdOf(answer, where);
          const surface = surfaceOfPath(target);
          if (method === 'HEAD') return assertHeadAnswer(answer, surface, where);
          if (answer.status < 400) return;
          assertSurfaceError(answer, surface, [suffix ?? '', ...headers.flat()], where);
        },
      ),
      {
        ...params(120),
        // Found by this suite: a malformed HEAD request got an error body after its headers.
        examples: [['/launch-contexts/x', null, 'HEAD', [['content-length', 'abc']], false, null]],
      },
    );
    report(t, counter, 'HTTP framing');
  });
});
