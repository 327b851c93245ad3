import type { FastifyInstance } from 'fastify';
import { LookupCache } from '../db/lookup-cache.ts';
import type { Services } from '../services.ts';
import { type CallbackSettings, finishLaunch } from './finish-launch.ts';
import { showLaunchDebug } from './launch-debug.ts';
import { type LaunchSettings, startLaunch } from './start-launch.ts';

/** Browser-facing routes: errors render as HTML pages (route config `surface: 'html'`). */
export function launchRoutes(app: FastifyInstance, services: Services): void {
  const html = { config: { surface: 'html' as const } };
  // Settings both hops read for every launch, remembered for `lookupCacheMs` (0 = not at all).
  const launchSettings = new LookupCache<LaunchSettings>(services.config.lookupCacheMs, 1000);
  const callbackSettings = new LookupCache<CallbackSettings>(services.config.lookupCacheMs, 1000);

  app.get<{ Params: { orgId: string }; Querystring: Record<string, unknown> }>(
    '/api/auth/smart/launch/:orgId',
    html,
    async (request, reply) => {
      const target = await startLaunch(
        services,
        request.params.orgId,
        request.query,
        request.id,
        launchSettings,
      );
      return reply.header('cache-control', 'no-store').redirect(target.href, 302);
    },
  );

  app.get<{ Querystring: Record<string, unknown> }>(
    '/api/auth/smart/launch-callback',
    html,
    async (request, reply) => {
      const callbackUrl = new URL(request.url, services.config.publicUrl);
      const target = await finishLaunch(services, request.query, callbackUrl, request.id, callbackSettings);
      return reply.header('cache-control', 'no-store').redirect(target, 302);
    },
  );

  app.get<{ Querystring: Record<string, unknown> }>('/launch-debug', html, async (request, reply) => {
    const body = await showLaunchDebug(services, request.query.mb_launch);
    // The App launch URL may open inside the EHR (PowerChart embeds apps), so framing stays
    // allowed here; everything else a page could load is not.
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
      )
      .send(body);
  });
}
