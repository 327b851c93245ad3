/**
 * Hostile and malformed input at every public surface: a clear 4xx with our request id in the
 * surface's own format — never a 500, a stack trace, or input reflected unescaped. Router-level
 * failures (bad percent-encoding, over-long path parameters) included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { type Stack, startStack } from './support/stack.ts';

const HOSTILE = [
  '%00',
  '%ff',
  '%E0%A4%A',
  '..%2f..',
  "'",
  '%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  'a'.repeat(3000),
  '[]',
];

describe('bad input at every surface', () => {
  let stack: Stack;
  let launchId: string;
  before(async () => {
    stack = await startStack({});
    launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
  });
  after(() => stack.close());

  function probes(w: string): [string, string, 'html' | 'api' | 'fhir' | 'cds', RequestInit?][] {
    const auth = { authorization: `Bearer ${stack.apiKey}` };
    return [
      ['GET', `/api/auth/smart/launch/${w}?iss=${w}&launch=${w}`, 'html'],
      ['GET', `/api/auth/smart/launch-callback?state=${w}&code=${w}&error=${w}`, 'html'],
      ['GET', `/launch-debug?mb_launch=${w}`, 'html'],
      ['GET', `/launch-contexts/${w}`, 'api', { headers: auth }],
      [
        'GET',
        `/launch-contexts/${launchId}`,
        'api',
        { headers: { authorization: `Bearer ${w}`, version: w } },
      ],
      ['GET', `/fhir/${launchId}/${w}`, 'fhir', { headers: auth }],
      ['GET', `/fhir/${w}/Patient`, 'fhir', { headers: auth }],
      [
        'POST',
        `/fhir/${launchId}/Patient`,
        'fhir',
        { headers: { ...auth, 'content-type': 'application/fhir+json' }, body: w },
      ],
      ['GET', `/api/cds/${w}/cds-services`, 'cds'],
      [
        'POST',
        `/api/cds/${stack.orgId}/cds-services/${w}`,
        'cds',
        { headers: { 'content-type': 'application/json', authorization: `Bearer ${w}` }, body: w },
      ],
      [
        'POST',
        '/admin/sign-in',
        'html',
        {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `email=${w}&password=${w}`,
        },
      ],
    ];
  }

  for (const hostile of HOSTILE) {
    it(`answers ${JSON.stringify(hostile.slice(0, 40))} with a clear error in each surface’s format`, async () => {
      for (const [method, path, surface, init] of probes(hostile)) {
        const response = await fetch(stack.gatewayUrl + path, { method, redirect: 'manual', ...init });
        const body = await response.text();
        const where = `${method} ${path.slice(0, 80)}`;
        assert.ok(
          response.status < 500 || response.status === 502 || response.status === 504,
          `${where}: ${response.status}`,
        );
        const requestId = response.headers.get('x-request-id');
        assert.ok(requestId, `${where}: X-Request-Id`);
        assert.ok(!/at .+\.(ts|js):\d+/.test(body), `${where}: stack trace`);
        assert.ok(!body.includes('<script>'), `${where}: reflected markup`);
        if (response.status < 300 || response.status === 303 || response.status === 302) continue;
        const type = response.headers.get('content-type') ?? '';
        if (surface === 'html') assert.match(type, /^text\/html/, where);
        else if (surface === 'fhir') assert.equal(JSON.parse(body).resourceType, 'OperationOutcome', where);
        else assert.equal(JSON.parse(body).error.request_id, requestId, where);
      }
    });
  }
});
