/**
 * The authorize endpoint (S4), GET and POST (`authorize-post`). Runs the checks of
 * authorize-checks.ts in order, sends the browser to the login page when nobody is signed in,
 * and answers with a code redirect, an error redirect, or an HTML error page.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AuthorizeParams,
  checkAudience,
  checkClient,
  checkLaunch,
  checkLaunchIdentity,
  checkPersona,
  checkPkce,
  checkProfile,
  checkPublicClientPkce,
  checkRedirectUri,
  checkResponseType,
  checkTenant,
} from './authorize-checks.ts';
import type { SandboxContext } from './context.ts';
import { AuthorizePageError, AuthorizeRedirectError, URN } from './errors.ts';
import { formBody, queryRecord, requestPath } from './forms.ts';
import { errorPage } from './pages-auth.ts';
import { grantableScopes, splitScope } from './scopes.ts';
import { currentSession, redirectToLogin } from './session.ts';

type AuthorizeRequest = FastifyRequest<{ Params: { tenant: string; profile: string; persona: string } }>;

/** Appends parameters to a redirect URI, keeping any query it already has. */
function withParams(uri: string, params: [string, string | undefined][]): string {
  const url = new URL(uri);
  for (const [name, value] of params) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  return url.toString();
}

export function authorizeHandlers(ctx: SandboxContext) {
  async function authorize(request: AuthorizeRequest, reply: FastifyReply, params: AuthorizeParams) {
    reply.header('cache-control', 'no-store');
    const { tenant, profile, persona } = request.params;
    let redirect: { target: string; clientId: string } | undefined;
    try {
      checkTenant(ctx, tenant);
      const app = checkClient(ctx, params);
      const redirectUri = checkRedirectUri(app, params);
      redirect = { target: redirectUri.target, clientId: app.clientId };
      // From here on errors go back to the verified redirect URI (S4.3).
      checkPersona(app, persona);
      checkProfile(app, profile);
      checkResponseType(params);
      checkAudience(ctx, params);
      const requestedScopes = splitScope(params.scope);
      const launch = checkLaunch(ctx, app, params, requestedScopes);
      const session = currentSession(ctx, request);
      if (!session) {
        const returnTo = `${requestPath(request)}?${new URLSearchParams(params).toString()}`;
        return redirectToLogin(reply, returnTo, launch?.username);
      }
      checkLaunchIdentity(launch, session);
      const codeChallenge = checkPkce(params);
      checkPublicClientPkce(app, codeChallenge);
      const scopes = grantableScopes(requestedScopes, app, launch?.patientId !== undefined);
      if (scopes.length === 0) {
        throw new AuthorizeRedirectError(
          'access_denied',
          URN.deniedByServer,
          'none of the requested scopes can be granted',
        );
      }
      if (ctx.faults.current.authorize === 'deny') {
        throw new AuthorizeRedirectError(
          'access_denied',
          URN.deniedByUser,
          'the authorize "deny" fault is on',
        );
      }
      const code = ctx.state.issueCode({
        tenant,
        clientId: app.clientId,
        redirectUri: redirectUri.sent,
        scopes,
        username: session.username,
        sessionId: session.id,
        needPatientBanner: launch?.needPatientBanner ?? true,
        ...(launch?.patientId !== undefined ? { patientId: launch.patientId } : {}),
        ...(launch?.encounterId !== undefined ? { encounterId: launch.encounterId } : {}),
        ...(codeChallenge !== undefined ? { codeChallenge } : {}),
        ...(params.nonce !== undefined ? { nonce: params.nonce } : {}),
      });
      if (launch) launch.used = true;
      return reply.redirect(
        withParams(redirectUri.target, [
          ['code', code.code],
          ['state', params.state],
        ]),
        302,
      );
    } catch (error) {
      if (error instanceof AuthorizeRedirectError && redirect) {
        const errorUri = ctx.errorUri(error.urn, error.detail, [
          ['persona', persona],
          ['client', redirect.clientId],
          ['tenant', tenant],
        ]);
        // Cerner sends no error_description (docs/cerner.md §8).
        const location = withParams(redirect.target, [
          ['state', params.state],
          ['error', error.error],
          ['error_uri', errorUri],
        ]);
        return reply.redirect(location, 302);
      }
      if (error instanceof AuthorizePageError) {
        const correlationId = ctx.errorInstances.record(error.urn, error.explanation);
        const body = errorPage({ message: error.explanation, urn: error.urn, correlationId });
        return reply.code(error.status).type('text/html; charset=utf-8').send(body);
      }
      throw error;
    }
  }

  return {
    async authorizeGet(request: AuthorizeRequest, reply: FastifyReply) {
      return authorize(request, reply, queryRecord(request));
    },
    async authorizePost(request: AuthorizeRequest, reply: FastifyReply) {
      return authorize(request, reply, { ...queryRecord(request), ...(formBody(request)?.fields ?? {}) });
    },
  };
}
