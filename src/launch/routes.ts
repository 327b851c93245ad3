import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import { LookupCache } from '../cache/lookup-cache.ts';
import type { Services } from '../services.ts';
import type { LaunchSettings } from '../settings/launch-settings.ts';
import { finishLaunch } from './finish-launch.ts';
import { CONSOLE_LAUNCH_DEBUG_PATH, launchDebugHandlers } from './launch-debug.ts';
import {
  type CallbackQuery,
  finishLaunchSchema,
  type LaunchDebugQuery,
  type LaunchQuery,
  launchDebugRedirectSchema,
  launchDebugSchema,
  type StandaloneQuery,
  startLaunchSchema,
  startStandaloneSchema,
} from './schemas.ts';
import { startLaunch } from './start-launch.ts';

/** Browser-facing routes: errors render as HTML pages (route config `surface: 'html'`). */
export function launchRoutes(app: FastifyInstance, services: Services): void {
  const config = { surface: 'html' as const, invalidInput: 'invalid_launch_request' as const };
  // The settings both hops read for every launch (one resolver, keyed by iss or by source),
  // remembered for `lookupCacheMs` (0 = not at all). Client secrets stay sealed in it.
  const launchSettings = new LookupCache<LaunchSettings>(services.config.lookupCacheMs, 2000);

  app.get<{ Params: { orgId: string }; Querystring: LaunchQuery }>(
    '/api/auth/smart/launch/:orgId',
    { config, schema: startLaunchSchema },
    async (request, reply) => {
      const { iss, launch } = request.query;
      const target = await startLaunch(
        services,
        request.params.orgId,
        { mode: 'ehr', iss, launch },
        request.id,
        launchSettings,
      );
      return reply.header('cache-control', 'no-store').redirect(target.href, 302);
    },
  );

  app.get<{ Params: { orgId: string }; Querystring: StandaloneQuery }>(
    '/api/auth/smart/standalone/:orgId',
    { config, schema: startStandaloneSchema },
    async (request, reply) => {
      const { iss } = request.query;
      const target = await startLaunch(
        services,
        request.params.orgId,
        { mode: 'standalone', iss },
        request.id,
        launchSettings,
      );
      return reply.header('cache-control', 'no-store').redirect(target.href, 302);
    },
  );

  app.get<{ Querystring: CallbackQuery }>(
    '/api/auth/smart/launch-callback',
    { config, schema: finishLaunchSchema },
    async (request, reply) => {
      const callbackUrl = new URL(request.url, services.config.publicUrl);
      const target = await finishLaunch(services, request.query, callbackUrl, request.id, launchSettings);
      return reply.header('cache-control', 'no-store').redirect(target, 302);
    },
  );

  // Off (the production default): not routed, so it answers exactly like an unknown path.
  if (services.config.launchDebugPage) {
    const debug = launchDebugHandlers(services);
    const page = { config: { surface: 'html' as const }, schema: launchDebugSchema };
    type Debug = { Querystring: LaunchDebugQuery };
    if (services.config.mode !== 'production') {
      app.get<Debug>('/launch-debug', page, debug.open);
    } else {
      app.get('/launch-debug', { ...page, schema: launchDebugRedirectSchema }, debug.toConsole);
      app.register(async (scope) => {
        await scope.register(cookie);
        scope.get<Debug>(CONSOLE_LAUNCH_DEBUG_PATH, page, debug.forConsoleUser);
      });
    }
  }
}
