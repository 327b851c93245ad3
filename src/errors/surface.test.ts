import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyRequest } from 'fastify';
import { type Surface, surfaceOf } from './surface.ts';

describe('the surface of a request target', () => {
  const cases: [target: string, surface: Surface][] = [
    ['/fhir/abc/Patient/1', 'fhir'],
    ['/fhir', 'fhir'],
    ['/fhir?_format=json', 'fhir'],
    ['/api/cds/org/cds-services', 'cds'],
    ['/api/cds', 'cds'],
    ['/admin', 'console'],
    ['/admin/settings/connections', 'console'],
    ['/admin?next=x', 'console'],
    ['/api/auth/smart/launch/org?iss=x', 'html'],
    ['/api/auth/smart/launch-callback', 'html'],
    ['/api/auth/smart/unknown', 'html'],
    ['/launch-debug?mb_launch=x', 'html'],
    ['/launch-debug', 'html'],
    ['/launch-contexts/x', 'api'],
    ['/api/keys', 'api'],
    ['/.well-known/jwks.json', 'api'],
    ['/', 'api'],
    ['', 'api'],
  ];
  for (const [target, surface] of cases) {
    it(`${JSON.stringify(target)} is ${surface}`, () => assert.equal(surfaceOf(target), surface));
  }

  it('is a whole path segment: /fhirx, /adminx and /launch-debugger belong to the API', () => {
    assert.equal(surfaceOf('/fhirx/Patient'), 'api');
    assert.equal(surfaceOf('/adminx'), 'api');
    assert.equal(surfaceOf('/launch-debugger'), 'api');
    assert.equal(surfaceOf('/api/cdsx/a'), 'api');
    assert.equal(surfaceOf('/admin_x'), 'api');
  });

  it('a request line the HTTP parser refused: judged by the path it starts with', () => {
    assert.equal(surfaceOf('/launch-debug\u0001'), 'html');
    assert.equal(surfaceOf('/fhir/x/Patient?\u00e9'), 'fhir');
    assert.equal(surfaceOf('/admin<script>'), 'console');
  });

  it('routes an absolute-form target (RFC 9112 §3.2.2) by its path', () => {
    assert.equal(surfaceOf('http://127.0.0.1/fhir/x/Patient'), 'fhir');
    assert.equal(surfaceOf('https://gateway.example:8443/api/cds/org/cds-services'), 'cds');
    assert.equal(surfaceOf('HTTP://host/admin/sign-in'), 'console');
    assert.equal(surfaceOf('http://host/api/auth/smart/launch/x'), 'html');
    assert.equal(surfaceOf('http://host/launch-contexts/x'), 'api');
    assert.equal(surfaceOf('http://host'), 'api');
  });

  it('reads percent-encoded unreserved characters as the router does (%61dmin is admin)', () => {
    assert.equal(surfaceOf('/%61dmin/nope'), 'console');
    assert.equal(surfaceOf('/%66HIR/x'), 'api', 'case still counts: /fHIR is not /fhir');
    assert.equal(surfaceOf('/%66hir/x'), 'fhir');
    // A reserved character stays encoded: `/fhir%2Fx` is one segment, not the FHIR tree.
    assert.equal(surfaceOf('/fhir%2Fx'), 'api');
  });

  it('is case-sensitive, like the routes', () => {
    assert.equal(surfaceOf('/FHIR/x'), 'api');
    assert.equal(surfaceOf('/Admin'), 'api');
  });
});

describe('the surface of a request', () => {
  /** The surface surfaceOf gives a request to `url` on a small app with these routes. */
  async function surfaceAt(url: string): Promise<Surface> {
    const app = Fastify({ logger: false });
    let seen: Surface | undefined;
    const capture = async (request: FastifyRequest) => {
      seen = surfaceOf(request);
      return '';
    };
    app.get('/admin/launch-debug', { config: { surface: 'html' } }, capture);
    app.get('/launch-contexts/:id', { config: { surface: 'api' } }, capture);
    await app.register(
      async (scope) => {
        scope.get('/:launchId/*', capture);
      },
      { prefix: '/fhir' },
    );
    app.get('/api/cds/:orgId/cds-services', capture);
    app.get('/admin/settings', capture);
    app.setNotFoundHandler(async (request) => {
      seen = surfaceOf(request);
      return '';
    });
    await app.inject({ method: 'GET', url });
    await app.close();
    assert.ok(seen, `surfaceOf ran for ${url}`);
    return seen;
  }

  it('follows the matched route’s config over its path', async () => {
    assert.equal(await surfaceAt('/admin/launch-debug?mb_launch=x'), 'html');
    assert.equal(await surfaceAt('/launch-contexts/x'), 'api');
  });

  it('without config, follows the matched route’s path, prefix of its scope included', async () => {
    assert.equal(await surfaceAt('/fhir/abc/Patient'), 'fhir');
    assert.equal(await surfaceAt('/api/cds/org/cds-services'), 'cds');
    assert.equal(await surfaceAt('/admin/settings'), 'console');
  });

  it('on an unknown path, follows the request target', async () => {
    assert.equal(await surfaceAt('/api/auth/smart/unknown'), 'html');
    assert.equal(await surfaceAt('/admin/nope'), 'console');
    assert.equal(await surfaceAt('/fhir'), 'fhir');
    assert.equal(await surfaceAt('/nope'), 'api');
  });
});
