/**
 * Chartside's local Cerner sandbox: an offline stand-in for Oracle Health (Cerner) Millennium's
 * SMART authorization server, FHIR R4 server, EHR launcher and Code Console "Test Sandbox"
 * pages, built from docs/cerner.md §13, with an Epic-shaped and a generic SMART App Launch 2
 * profile beside it (docs/sandbox-profiles.md). It imports nothing from the
 * gateway; the two talk only over HTTP.
 */
import type { AddressInfo } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_TENANT,
  type SandboxOptions,
  validateSandboxOptions,
} from './config.ts';
import { createSandboxContext } from './context.ts';
import { registerBodyParsers } from './forms.ts';
import { messagePage } from './pages-auth.ts';
import { profileEndpoints, type SandboxProfileEndpoints } from './profile-servers.ts';
import { registerSandboxRoutes } from './routes.ts';

export type { SandboxAppRegistration, SandboxOptions } from './config.ts';
export { DEFAULT_TENANT, loadSandboxConfigFile, validateSandboxOptions } from './config.ts';
export { CODE_ACCOUNT } from './console-session.ts';
export type { SandboxFaults } from './faults.ts';
export { CONSOLE_APPS_PATH } from './pages-console.ts';
export type { EpicAppRegistration, EpicClientCredentials, SmartAppRegistration } from './profile-config.ts';
export type { ProfileEndpoints, SandboxProfileEndpoints } from './profile-servers.ts';
export type { RecordedEndpoint, RecordedRequest } from './request-log.ts';
export { SESSION_COOKIE } from './session.ts';

export interface RunningSandbox extends SandboxProfileEndpoints {
  /** publicOrigin actually used, no trailing slash. */
  origin: string;
  /** `${origin}/r4/${tenant}` (no trailing slash): the `iss` of the Cerner profile. */
  fhirBaseUrl: string;
  tenant: string;
  /** Stops the server; returns promptly even while a "hang" fault holds requests open. */
  close(): Promise<void>;
}

function listeningPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return address && typeof address === 'object' ? (address as AddressInfo).port : undefined;
}

/**
 * Builds the sandbox's Fastify instance without listening. Advertised URLs use
 * `options.publicOrigin`, else `http://localhost:<listening port>` (or `options.port`).
 */
export async function buildSandbox(options: SandboxOptions): Promise<FastifyInstance> {
  const settings = validateSandboxOptions(options);
  const app = Fastify({
    logger: settings.logger ?? false,
    // Destroy keep-alive and held ("hang" fault) sockets on close instead of waiting for them.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 500 },
  });
  const configuredOrigin = settings.publicOrigin?.replace(/\/+$/, '');
  const originOf = () =>
    configuredOrigin ?? `http://localhost:${listeningPort(app) ?? settings.port ?? DEFAULT_PORT}`;
  const ctx = await createSandboxContext(settings, originOf);

  await app.register(fastifyCookie);
  registerBodyParsers(app);
  app.addHook('preClose', async () => {
    ctx.held.releaseAll();
  });
  app.addHook('onClose', async () => {
    ctx.registry.close();
  });
  // The Epic and SMART profiles' id_token keys (RSA: slow to make) are made in the background once
  // listening, so the first token request does not wait for them.
  app.addHook('onReady', async () => {
    for (const server of ctx.profiles) server.idTokenKey().catch(() => undefined);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'sandbox request failed');
      return reply.code(500).send({ error: 'server_error' });
    }
    return reply.code(status).send({ error: 'invalid_request', message: error.message });
  });
  // Unknown paths: a page for a browser (not the sign-in's look), a small JSON body otherwise.
  app.setNotFoundHandler((request, reply) => {
    if (!/\btext\/html\b/.test(request.headers.accept ?? ''))
      return reply.code(404).send({ error: 'not_found' });
    const body = messagePage('Not found', 'There is no page at this address.', 'plain');
    return reply.code(404).type('text/html; charset=utf-8').send(body);
  });
  registerSandboxRoutes(app, ctx);
  return app;
}

/** Builds and starts the sandbox. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const app = await buildSandbox(options);
  try {
    await app.listen({ port: options.port ?? DEFAULT_PORT, host: options.host ?? DEFAULT_HOST });
  } catch (error) {
    await app.close();
    throw error;
  }
  const port = listeningPort(app) ?? options.port ?? DEFAULT_PORT;
  const origin = options.publicOrigin?.replace(/\/+$/, '') ?? `http://localhost:${port}`;
  const tenant = options.tenant ?? DEFAULT_TENANT;
  return {
    origin,
    fhirBaseUrl: `${origin}/r4/${tenant}`,
    tenant,
    ...profileEndpoints(origin),
    close: () => app.close(),
  };
}
