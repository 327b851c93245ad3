/**
 * URL wiring of the Epic and SMART profile servers (docs/sandbox-profiles.md), next to Cerner's
 * (routes.ts) on the same origin. Every EHR-facing request is recorded with its profile, so
 * `GET /_test/requests?profile=epic` shows what a client sent to Epic.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { profileAuthorizeHandlers } from './profile-authorize.ts';
import { profileDiscoveryHandlers } from './profile-discovery.ts';
import { profileFhirHandlers } from './profile-fhir.ts';
import { profileLauncherHandlers } from './profile-launch.ts';
import { profileRevocationHandlers } from './profile-revocation.ts';
import { profileTokenHandlers } from './profile-token.ts';
import type { ProfileServer } from './profile-types.ts';
import type { RecordedEndpoint } from './request-log.ts';
import { setTokenHeaders } from './token-http.ts';

function registerServer(app: FastifyInstance, ctx: SandboxContext, server: ProfileServer): void {
  const { paths, profile } = server;
  const record = <R extends FastifyRequest, T>(
    endpoint: RecordedEndpoint,
    handler: (request: R, reply: FastifyReply) => Promise<T>,
  ) => ctx.requestLog.recorded(endpoint, handler, profile);
  const discovery = profileDiscoveryHandlers(ctx, server);
  const authorize = profileAuthorizeHandlers(ctx, server);
  const token = profileTokenHandlers(ctx, server);
  const fhir = profileFhirHandlers(ctx, server);
  const launcher = profileLauncherHandlers(ctx, server);
  const preflight = async (_request: FastifyRequest, reply: FastifyReply) => {
    setTokenHeaders(reply);
    return reply.code(200).send();
  };

  app.get(
    `${paths.fhir}/.well-known/smart-configuration`,
    record('smart-configuration', discovery.smartConfiguration),
  );
  app.get(`${paths.fhir}/metadata`, record('metadata', discovery.metadata));
  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${paths.fhir}/*`,
    handler: record('fhir', fhir.resource),
  });
  app.options(`${paths.fhir}/*`, fhir.preflight);

  app.get(paths.authorize, record('authorize', authorize.authorizeGet));
  app.post(paths.authorize, record('authorize', authorize.authorizePost));
  app.post(paths.signIn, authorize.signIn);
  app.post(paths.pickPatient, authorize.pickPatient);
  app.post(paths.token, record('token', token.token));
  app.options(paths.token, preflight);
  if (paths.revoke || paths.introspect) {
    const revocation = profileRevocationHandlers(ctx, server);
    if (paths.revoke) app.post(paths.revoke, record('revoke', revocation.revoke));
    if (paths.introspect) app.post(paths.introspect, revocation.introspect);
  }
  app.get(paths.jwks, record('jwk', discovery.jwks));
  app.get(`${paths.oidcIssuer}/.well-known/openid-configuration`, discovery.openidConfiguration);
  // Epic also answers the OpenID configuration under the FHIR base.
  if (profile === 'epic')
    app.get(`${paths.fhir}/.well-known/openid-configuration`, discovery.openidConfiguration);
  app.get(paths.style, discovery.style);
  app.get(paths.launcher, launcher.show);
  app.post(paths.launcher, launcher.launch);
}

export function registerProfileRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  for (const server of ctx.profiles) registerServer(app, ctx, server);
}
