/**
 * buildApp(config): the gateway as a Fastify instance, not listening. Opens storage, runs
 * migrations, loads signing keys, and wires each capability's routes.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from './admin/routes.ts';
import { apiRoutes } from './api/routes.ts';
import { LookupCache } from './cache/lookup-cache.ts';
import { cdsRoutes } from './cds/routes.ts';
import type { Config } from './config/index.ts';
import { createSealer } from './crypto/sealing.ts';
import { migrateToLatest, openDatabase, whileHoldingStartupLock } from './db/index.ts';
import { handleClientError, handleFrameworkError, installErrorHandling } from './errors/fastify.ts';
import { AJV_OPTIONS, schemaErrorFormatter } from './errors/invalid-input.ts';
import { ApiErrorBody } from './errors/schemas.ts';
import { fhirProxyRoutes } from './fhir-proxy/routes.ts';
import { healthRoutes } from './health/routes.ts';
import { homeRoutes } from './home/routes.ts';
import { createOutboundHttp, type OutboundHttp } from './http/outbound.ts';
import { recordRoutes } from './http/route-table.ts';
import { loadKeyRing } from './keys/key-ring.ts';
import { keysRoutes } from './keys/routes.ts';
import { ensureSigningKeys } from './keys/signing-keys.ts';
import { launchRoutes } from './launch/routes.ts';
import { installLaunchSweeper } from './launch/sweeper.ts';
import { loggerOptions, summarizeError } from './logging.ts';
import { createMetrics } from './metrics/metrics.ts';
import { installMetricsServer } from './metrics/metrics-server.ts';
import { installRequestMetrics } from './metrics/request-metrics.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { registerOpenApi } from './openapi/document.ts';
import { openApiRoutes } from './openapi/routes.ts';
import { installSecurityHeaders } from './security/headers.ts';
import { installRateLimits } from './security/rate-limit.ts';
import type { Services } from './services.ts';
import { createJwksCache } from './smart/jwks-cache.ts';
import { installWebhookWorker } from './webhooks/worker.ts';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export interface BuildOptions {
  /** A pino destination stream (tests capture logs with it). */
  logStream?: NodeJS.WritableStream;
  /** Replace the outbound wrapper (fault-injection tests). */
  http?: OutboundHttp;
  /** The time the signing-key ring judges key activation and retirement by (rotation tests). */
  keyClock?: () => Date;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  let databaseQueries = 0;
  const database = openDatabase(config.databaseUrl, {
    backgroundCheckpoints: true,
    preparedStatements: config.postgresPreparedStatements,
    onQuery: () => {
      databaseQueries += 1;
    },
  });
  try {
    const sealer = createSealer(config.masterKey);
    // One process at a time: processes starting together must agree on one set of first keys.
    await whileHoldingStartupLock(database, async () => {
      await migrateToLatest(database);
      await ensureSigningKeys(database.db, sealer);
    });
    const keyRing = await loadKeyRing(database.db, sealer, options.keyClock);
    const http = options.http ?? createOutboundHttp({ timeoutMs: config.outboundTimeoutMs });
    const services: Services = {
      config,
      db: database.db,
      engine: database.engine,
      sealer,
      http,
      keyRing,
      jwks: createJwksCache(http),
      apiKeyCache: new LookupCache(config.lookupCacheMs),
      readyLaunches: new LookupCache(config.lookupCacheMs),
      metrics: createMetrics({
        ...(database.poolStats ? { poolStats: database.poolStats } : {}),
        databaseQueries: { engine: database.engine, count: () => databaseQueries },
        processMetrics: config.mode !== 'test',
      }),
    };

    const app = Fastify({
      logger: options.logStream
        ? { ...loggerOptions(config), stream: options.logStream }
        : loggerOptions(config),
      genReqId: () => randomUUID(),
      // Our own ids only: an incoming X-Request-Id is not trusted or echoed.
      requestIdHeader: false,
      trustProxy: config.trustProxy,
      bodyLimit: 1_048_576,
      requestTimeout: 30_000,
      connectionTimeout: 60_000,
      keepAliveTimeout: 72_000,
      routerOptions: { maxParamLength: 200 },
      frameworkErrors: handleFrameworkError,
      // Route schemas (each room's schemas.ts): failures answer in the route's surface.
      ajv: { customOptions: AJV_OPTIONS },
      schemaErrorFormatter,
      clientErrorHandler: handleClientError,
    });
    app.decorate('services', services);
    recordRoutes(app);
    // Callback-style (not async) hooks on every request: no promise per hook per request.
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
    installSecurityHeaders(app, config);
    // Rotations by the CLI or another process reach this one within the reload interval.
    const stopWatchingKeys = keyRing.watch(config.keyReloadSeconds * 1000, (error) =>
      app.log.error({ err: summarizeError(error) }, 'reloading signing keys failed'),
    );
    app.addHook('onClose', async () => {
      stopWatchingKeys();
      await http.close();
      await database.close();
    });
    installErrorHandling(app);
    // Before the routes: the limiter attaches itself to each route as it is registered.
    await installRateLimits(app, config.rateLimits);
    // Before the routes too: it attaches its hooks to the routes it measures as they register.
    installRequestMetrics(app, services.metrics);

    // Before the routes as well: the API description is gathered from them as they register.
    await registerOpenApi(app, config);
    app.addSchema(ApiErrorBody);
    homeRoutes(app, services);
    healthRoutes(app, services);
    keysRoutes(app, keyRing);
    launchRoutes(app, services);
    apiRoutes(app, services);
    await fhirProxyRoutes(app, services);
    await cdsRoutes(app, services);
    await adminRoutes(app, services);
    metricsRoutes(app, services);
    openApiRoutes(app);
    installMetricsServer(app, config, services.metrics);
    // Ends launches past their life and deletes their tokens; one process sweeps per interval.
    installLaunchSweeper(app, services);
    // Sends the webhook outbox; each process claims its own due rows.
    installWebhookWorker(app, services);
    return app;
  } catch (error) {
    await database.close();
    throw error;
  }
}
