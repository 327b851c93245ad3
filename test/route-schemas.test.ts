/**
 * Every route of the gateway says what it takes and what it answers (JSON Schema, each room's
 * schemas.ts): params when its path has any, a body for the forms and hook calls, and its
 * responses. What the schemas let through and refuse is tested beside each room.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifySchema } from 'fastify';
import type { RouteEntry } from '../src/http/route-table.ts';
import { type ConsoleApp, startConsoleApp } from './support/admin-console.ts';

/** Routes that take nothing and answer files or redirects of their own, by design. */
const EXEMPT = [/^\/admin\/assets\//, /^\/admin\/favicon/];

describe('route schemas', () => {
  let consoleApp: ConsoleApp;
  let routes: readonly RouteEntry[];
  before(async () => {
    consoleApp = await startConsoleApp();
    routes = consoleApp.app.routeTable.filter(
      (route) => route.method !== 'HEAD' && !EXEMPT.some((pattern) => pattern.test(route.url)),
    );
  });
  after(() => consoleApp?.close());

  it('covers the gateway’s routes', () => {
    const urls = new Set(routes.map((route) => route.url));
    for (const url of [
      '/api/auth/smart/launch/:orgId',
      '/api/auth/smart/launch-callback',
      '/api/auth/.well-known/jwks',
      '/launch-contexts/:id',
      '/fhir/:launchId/*',
      '/api/cds/:orgId/cds-services/:serviceId',
      '/admin/settings/connections/:vendor',
    ]) {
      assert.ok(urls.has(url), url);
    }
  });

  it('each route describes its responses, its path parameters and, for forms and hooks, its body', () => {
    const missing: string[] = [];
    for (const { method, url, schema } of routes) {
      const name = `${[method].flat().join(',')} ${url}`;
      const s = (schema ?? {}) as FastifySchema;
      if (!s.response) missing.push(`${name}: response`);
      if (/[:*]/.test(url) && !s.params) missing.push(`${name}: params`);
      const posts = [method].flat().includes('POST');
      if (posts && !url.startsWith('/fhir/') && !s.body) missing.push(`${name}: body`);
    }
    assert.deepEqual(missing, []);
  });
});
