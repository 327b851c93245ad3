/**
 * Every route the gateway registers, with its schema: what `GET /openapi.json` describes and what
 * `test/route-schemas.test.ts` holds to the rule that each route says what it takes and answers.
 */
import type { FastifyInstance, FastifySchema, HTTPMethods } from 'fastify';

export interface RouteEntry {
  readonly method: HTTPMethods | HTTPMethods[];
  readonly url: string;
  readonly schema: FastifySchema | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes registered so far (filled as each is registered). */
    routeTable: readonly RouteEntry[];
  }
}

/** Call before any route is registered. */
export function recordRoutes(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    table.push({ method: route.method, url: route.url, schema: route.schema });
  });
}
