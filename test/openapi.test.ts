/**
 * `GET /openapi.json` is generated from the route schemas: a valid OpenAPI 3.1 document that
 * describes every app-facing and EHR-facing route, with the error envelope, the Version header
 * and examples; `GET /docs/api` shows it with a viewer served by us.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { DOCUMENTED_TAGS } from '../src/openapi/document.ts';
import { type ConsoleApp, startConsoleApp } from './support/admin-console.ts';

type Operation = {
  tags?: string[];
  parameters?: { in: string; name: string; schema: { enum?: string[] } }[];
  security?: unknown[];
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: Record<string, unknown> }> }
  >;
};
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { examples?: unknown[] }> };
};

/** Fastify's `/a/:id/*` as OpenAPI writes it: `/a/{id}/{*}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}').replace(/\*$/, '{*}');

describe('the API description', () => {
  let consoleApp: ConsoleApp;
  let document: Document;
  before(async () => {
    consoleApp = await startConsoleApp();
    const answer = await consoleApp.app.inject('/openapi.json');
    assert.equal(answer.statusCode, 200);
    assert.match(answer.headers['content-type'] as string, /^application\/json/);
    document = JSON.parse(answer.body) as Document;
  });
  after(() => consoleApp?.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(document));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1));
  });

  it('describes every registered route of a documented tag, and none of the console’s', () => {
    const documented = new Set<string>(DOCUMENTED_TAGS.map((tag) => tag.name));
    const expected = consoleApp.app.routeTable.filter((route) =>
      ((route.schema as { tags?: string[] } | undefined)?.tags ?? []).some((tag) => documented.has(tag)),
    );
    assert.ok(expected.length >= 10, 'the app-facing and EHR-facing routes are tagged');
    for (const route of expected) {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        const operation = document.paths[openApiPath(route.url)]?.[method.toLowerCase()];
        assert.ok(operation, `${method} ${route.url}`);
      }
    }
    for (const url of ['/launch-contexts/{id}', '/fhir/{launchId}/{*}', '/api/auth/smart/launch/{orgId}']) {
      assert.ok(document.paths[url], url);
    }
    assert.equal(
      Object.keys(document.paths).some((path) => path.startsWith('/admin') || path.startsWith('/openapi')),
      false,
    );
  });

  it('gives the launch context its example, its Version header, its API key and the error envelope', () => {
    const read = document.paths['/launch-contexts/{id}']?.get as Operation;
    const version = read.parameters?.find((p) => p.in === 'header' && p.name === 'version');
    assert.deepEqual(version?.schema.enum, ['2026-11-29']);
    assert.deepEqual(read.security, [{ apiKey: [] }]);
    const ok = read.responses['200']?.content?.['application/json'] as { example?: { patient: string } };
    assert.equal(ok.example?.patient, 'Patient/12724066');
    for (const status of ['401', '404']) {
      assert.deepEqual(read.responses[status]?.content?.['application/json']?.schema, {
        $ref: '#/components/schemas/ApiError',
      });
    }
    const envelope = document.components.schemas.ApiError as {
      properties: { error: { required: string[] } };
    };
    assert.deepEqual(envelope.properties.error.required, [
      'type',
      'code',
      'message',
      'param',
      'doc_url',
      'request_id',
    ]);
  });

  it('serves a viewer from our own files, with a policy that allows nothing from elsewhere', async () => {
    const page = await consoleApp.app.inject('/docs/api');
    assert.equal(page.statusCode, 200);
    const policy = page.headers['content-security-policy'] as string;
    assert.match(policy, /script-src 'self';/);
    assert.doesNotMatch(policy, /https?:/);
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1] as string);
    assert.deepEqual(scripts, ['/docs/api/assets/swagger-ui-bundle.js', '/docs/api/assets/start.js']);
    for (const src of scripts) {
      const asset = await consoleApp.app.inject(src);
      assert.equal(asset.statusCode, 200, src);
      assert.match(asset.headers['content-type'] as string, /^text\/javascript/);
    }
    assert.match((await consoleApp.app.inject('/docs/api/assets/start.js')).body, /"url":"\/openapi.json"/);
    assert.equal((await consoleApp.app.inject('/docs/api/assets/..%2Fpackage.json')).statusCode, 400);
  });
});
