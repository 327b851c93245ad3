/**
 * Security headers on every kind of gateway answer: HSTS when PUBLIC_URL is https, nosniff,
 * no-referrer, no framing (X-Frame-Options and CSP frame-ancestors on HTML), no-store on
 * anything carrying launch context, tokens or API answers, COOP/CORP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { inProcessGateway } from './gateway.ts';

function assertBaseline(response: LightMyRequestResponse, what: string): void {
  assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
  assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin', what);
  assert.ok(response.headers['x-request-id'], what);
}

describe('security headers (https PUBLIC_URL)', () => {
  let app: FastifyInstance;
  let orgId: string;
  before(async () => {
    ({ app, orgId } = await inProcessGateway());
  });
  after(() => app.close());

  it('are on every surface, with HSTS, and no-store where launch data, tokens or API answers travel', async () => {
    const answers: [string, string, boolean][] = [
      // path, expected content type, carries launch/API data (no-store)
      [`/api/auth/smart/launch/${orgId}?iss=https%3A%2F%2Fx.example&launch=1`, 'text/html', true],
      ['/api/auth/smart/launch-callback?code=c&state=s', 'text/html', true],
      ['/launch-contexts/00000000-0000-4000-8000-000000000000', 'application/json', true],
      ['/fhir/00000000-0000-4000-8000-000000000000/Patient/1', 'application/fhir+json', true],
      [`/api/cds/${orgId}/cds-services`, 'application/json', true],
      ['/admin/sign-in', 'text/html', true],
      ['/no/such/path', 'application/json', false],
      ['/api/auth/.well-known/jwks', 'application/json', false],
    ];
    for (const [url, type, noStore] of answers) {
      const response = await app.inject({ method: 'GET', url });
      assertBaseline(response, url);
      assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', url);
      assert.ok(
        String(response.headers['content-type']).startsWith(type),
        `${url}: ${response.headers['content-type']}`,
      );
      if (noStore) assert.equal(response.headers['cache-control'], 'no-store', url);
    }
  });

  it('forbids framing of console pages and API answers, keeping each page’s own strict CSP', async () => {
    for (const url of ['/admin/sign-in', '/admin/settings', '/launch-contexts/x', '/no/such/path']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.headers['x-frame-options'], 'DENY', url);
      assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin', url);
      if (!String(response.headers['content-type']).startsWith('text/html')) continue;
      const csp = String(response.headers['content-security-policy'] ?? '');
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.match(csp, /default-src 'none'|default-src 'self'/, `${url} keeps its strict policy: ${csp}`);
    }
  });

  it('lets the launch hops and the App launch URL page be framed (the EHR may embed the app)', async () => {
    for (const url of [`/api/auth/smart/launch/${orgId}?iss=x&launch=1`, '/launch-debug?mb_launch=x']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.headers['x-frame-options'], undefined, url);
      assert.equal(response.headers['cross-origin-opener-policy'], undefined, url);
      assert.doesNotMatch(String(response.headers['content-security-policy'] ?? ''), /frame-ancestors/, url);
      assert.match(String(response.headers['content-security-policy']), /default-src 'none'/, url);
    }
  });

  it('lets the JWKS be cached briefly and fetched cross-origin (EHRs fetch it)', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/auth/.well-known/jwks' });
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(response.headers['access-control-allow-origin'], '*');
  });
});

describe('security headers (plain-http development PUBLIC_URL)', () => {
  it('omit HSTS, which browsers ignore over http and which would pin localhost to https', async () => {
    const { app } = await inProcessGateway({ PUBLIC_URL: 'http://localhost:3000' });
    try {
      const response = await app.inject({ method: 'GET', url: '/health' });
      assert.equal(response.headers['strict-transport-security'], undefined);
      assertBaseline(response, '/health');
    } finally {
      await app.close();
    }
  });
});
