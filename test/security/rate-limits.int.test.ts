/**
 * Rate limits on the public surfaces: past the limit a client gets 429 with `Retry-After` and
 * the request id, in its surface's own format (HTML page, API envelope, OperationOutcome, CDS
 * envelope, console page); other clients, other API keys and unlimited paths are unaffected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../src/config/index.ts';
import { inProcessGateway } from './gateway.ts';

const LIMIT = 3;
const LIMITS = {
  CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE: String(LIMIT),
  CHARTSIDE_RATE_LIMIT_API_PER_MINUTE: String(LIMIT),
  CHARTSIDE_RATE_LIMIT_FHIR_PER_MINUTE: String(LIMIT),
  CHARTSIDE_RATE_LIMIT_CDS_PER_MINUTE: String(LIMIT),
  CHARTSIDE_RATE_LIMIT_SIGN_IN_PER_MINUTE: String(LIMIT),
};
const KEY_A = `Bearer cs_test_${'A'.repeat(12)}_${'a'.repeat(40)}`;
const KEY_B = `Bearer cs_live_${'B'.repeat(12)}_${'b'.repeat(40)}`;
/** A key from before environments: still its own budget. */
const KEY_C = `Bearer cs_sk_${'C'.repeat(12)}_${'c'.repeat(40)}`;

/** Send `count` requests; return the last answer and every status seen. */
async function burst(app: FastifyInstance, request: InjectOptions, count: number) {
  const statuses: number[] = [];
  let last: LightMyRequestResponse | undefined;
  for (let i = 0; i < count; i++) {
    last = await app.inject(request);
    statuses.push(last.statusCode);
  }
  return { statuses, last: last as LightMyRequestResponse };
}

function assertRetryAfter(response: LightMyRequestResponse): void {
  const seconds = Number(response.headers['retry-after']);
  assert.ok(
    Number.isInteger(seconds) && seconds >= 1 && seconds <= 60,
    `Retry-After ${response.headers['retry-after']}`,
  );
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['x-content-type-options'], 'nosniff', 'security headers on the 429 too');
}

describe('rate limits', () => {
  let app: FastifyInstance;
  let orgId: string;
  before(async () => {
    ({ app, orgId } = await inProcessGateway(LIMITS));
  });
  after(() => app.close());

  it('launch and callback share a per-IP limit; the 429 is the HTML error page', async () => {
    const ip = '203.0.113.10';
    const launch = {
      method: 'GET' as const,
      url: `/api/auth/smart/launch/${orgId}?iss=https%3A%2F%2Fx.example&launch=1`,
      remoteAddress: ip,
    };
    const { statuses } = await burst(app, launch, LIMIT - 1);
    assert.ok(
      statuses.every((status) => status !== 429),
      String(statuses),
    );
    const callback = await app.inject({
      method: 'GET',
      url: '/api/auth/smart/launch-callback?code=c&state=s',
      remoteAddress: ip,
    });
    assert.notEqual(callback.statusCode, 429);

    const limited = await app.inject(launch);
    assert.equal(limited.statusCode, 429);
    assertRetryAfter(limited);
    assert.match(String(limited.headers['content-type']), /^text\/html/);
    assert.match(limited.body, /rate_limited/);
    assert.match(limited.body, new RegExp(String(limited.headers['x-request-id'])));
    const limitedCallback = await app.inject({
      method: 'GET',
      url: '/api/auth/smart/launch-callback?code=c&state=s',
      remoteAddress: ip,
    });
    assert.equal(limitedCallback.statusCode, 429);

    const otherClient = await app.inject({ ...launch, remoteAddress: '203.0.113.11' });
    assert.notEqual(otherClient.statusCode, 429, 'another IP has its own budget');
  });

  it('the standalone launch counts with the launch (each first hop writes a pending launch)', async () => {
    const ip = '203.0.113.12';
    const standalone = {
      method: 'GET' as const,
      url: `/api/auth/smart/standalone/${orgId}?iss=https%3A%2F%2Fx.example`,
      remoteAddress: ip,
    };
    const { statuses, last } = await burst(app, standalone, LIMIT + 1);
    assert.ok(
      statuses.slice(0, LIMIT).every((status) => status !== 429),
      String(statuses),
    );
    assert.equal(last.statusCode, 429);
    assert.match(String(last.headers['content-type']), /^text\/html/);
    const launch = await app.inject({
      method: 'GET',
      url: `/api/auth/smart/launch/${orgId}?iss=https%3A%2F%2Fx.example&launch=1`,
      remoteAddress: ip,
    });
    assert.equal(launch.statusCode, 429, 'one budget for both');
  });

  it('the app API counts per API key (else per IP), with the rate_limit_error envelope', async () => {
    const ip = '203.0.113.20';
    const read = {
      method: 'GET' as const,
      url: '/launch-contexts/00000000-0000-4000-8000-000000000000',
      remoteAddress: ip,
    };
    const { statuses, last } = await burst(app, { ...read, headers: { authorization: KEY_A } }, LIMIT + 1);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assertRetryAfter(last);
    const body = JSON.parse(last.body) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(body.error).sort(), [
      'code',
      'doc_url',
      'message',
      'param',
      'request_id',
      'type',
    ]);
    assert.equal(body.error.type, 'rate_limit_error');
    assert.equal(body.error.code, 'rate_limited');
    assert.equal(body.error.request_id, last.headers['x-request-id']);

    const otherKey = await app.inject({ ...read, headers: { authorization: KEY_B } });
    assert.equal(otherKey.statusCode, 401, 'another key from the same IP has its own budget');
    const oldKey = await app.inject({ ...read, headers: { authorization: KEY_C } });
    assert.equal(oldKey.statusCode, 401, 'so has a cs_sk_ key');
    const noKey = await app.inject(read);
    assert.equal(noKey.statusCode, 401, 'requests without a key count per IP');
  });

  it('the FHIR proxy answers 429 as an OperationOutcome (throttled)', async () => {
    const { statuses, last } = await burst(
      app,
      {
        method: 'GET',
        url: '/fhir/00000000-0000-4000-8000-000000000000/Patient/1',
        headers: { authorization: KEY_A },
        remoteAddress: '203.0.113.30',
      },
      LIMIT + 1,
    );
    assert.deepEqual(statuses.slice(0, LIMIT).includes(429), false);
    assert.equal(last.statusCode, 429);
    assertRetryAfter(last);
    const outcome = JSON.parse(last.body) as {
      resourceType: string;
      issue: { code: string; details: { coding: { code: string }[] }; diagnostics: string }[];
    };
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0]?.code, 'throttled');
    assert.equal(outcome.issue[0]?.details.coding[0]?.code, 'rate_limited');
    assert.match(outcome.issue[0]?.diagnostics ?? '', new RegExp(String(last.headers['x-request-id'])));
  });

  it('the CDS Hooks relay answers 429 with its envelope', async () => {
    const { last } = await burst(
      app,
      { method: 'GET', url: `/api/cds/${orgId}/cds-services`, remoteAddress: '203.0.113.40' },
      LIMIT + 1,
    );
    assert.equal(last.statusCode, 429);
    assertRetryAfter(last);
    const body = JSON.parse(last.body) as { error: Record<string, unknown> };
    assert.equal(body.error.code, 'rate_limited');
    assert.equal(body.error.request_id, last.headers['x-request-id']);
  });

  it('console sign-in posts are limited per IP; the sign-in page itself is not', async () => {
    const post = {
      method: 'POST' as const,
      url: '/admin/sign-in',
      payload: 'email=a%40b.example&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      remoteAddress: '203.0.113.50',
    };
    const { statuses, last } = await burst(app, post, LIMIT + 1);
    assert.ok(!statuses.slice(0, LIMIT).includes(429), String(statuses));
    assert.equal(last.statusCode, 429);
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.match(String(last.headers['content-type']), /^text\/html/);
    assert.match(last.body, /rate_limited/);
    const { statuses: pages } = await burst(
      app,
      { method: 'GET', url: '/admin/sign-in', remoteAddress: '203.0.113.50' },
      LIMIT + 2,
    );
    assert.ok(
      pages.every((status) => status === 200),
      String(pages),
    );
  });

  it('does not limit health checks or the JWKS', async () => {
    for (const url of ['/health', '/api/auth/.well-known/jwks']) {
      const { statuses } = await burst(app, { method: 'GET', url, remoteAddress: '203.0.113.60' }, LIMIT * 3);
      assert.ok(
        statuses.every((status) => status === 200),
        `${url}: ${statuses}`,
      );
    }
  });
});

describe('rate limits behind a trusted proxy', () => {
  let app: FastifyInstance;
  let orgId: string;
  before(async () => {
    ({ app, orgId } = await inProcessGateway({ ...LIMITS, TRUST_PROXY: 'true' }));
  });
  after(() => app.close());

  it('count per X-Forwarded-For client, not per proxy address', async () => {
    const launch = (client: string) => ({
      method: 'GET' as const,
      url: `/api/auth/smart/launch/${orgId}?iss=https%3A%2F%2Fx.example&launch=1`,
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': client },
    });
    const { last } = await burst(app, launch('198.51.100.1'), LIMIT + 1);
    assert.equal(last.statusCode, 429);
    const other = await app.inject(launch('198.51.100.2'));
    assert.notEqual(other.statusCode, 429);
  });
});

describe('rate-limit configuration', () => {
  it('has defaults in production, is off in test mode unless set, and refuses bad values', () => {
    const base = {
      PUBLIC_URL: 'https://gw.example.org',
      CHARTSIDE_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
    };
    const production = loadConfig({ ...base, CHARTSIDE_ENV: 'production' });
    assert.deepEqual(production.rateLimits, {
      launchPerMinute: 600,
      apiPerMinute: 1200,
      fhirPerMinute: 6000,
      cdsPerMinute: 3000,
      signInPerMinute: 30,
    });
    assert.equal(loadConfig({ ...base, CHARTSIDE_ENV: 'test' }).rateLimits.launchPerMinute, 0);
    assert.equal(
      loadConfig({ ...base, CHARTSIDE_ENV: 'test', CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE: '5' }).rateLimits
        .launchPerMinute,
      5,
    );
    assert.throws(
      () => loadConfig({ ...base, CHARTSIDE_ENV: 'production', CHARTSIDE_RATE_LIMIT_API_PER_MINUTE: 'lots' }),
      /CHARTSIDE_RATE_LIMIT_API_PER_MINUTE must be a whole number/,
    );
  });
});
