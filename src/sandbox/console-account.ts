/**
 * Cerner Central's System Account handlers: the page, View (the secret, once), Manage (rotate:
 * the old secret stops at once), Edit and Save of the JSON Web Key Set URL, and Test, which
 * fetches that URL as the token endpoint would and reports the keys or the exact failure.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpUrl, privacyOf, type SandboxAppRegistration } from './config.ts';
import {
  checkedPost,
  consoleNotFound,
  sendHtml,
  signedIn,
  viewerOf,
  viewerWithNotice,
} from './console-guard.ts';
import type { SandboxContext } from './context.ts';
import { fetchJwks, summarizeKeys } from './jwks-fetch.ts';
import { systemAccountPath } from './pages-console.ts';
import {
  editJwksPage,
  manageSecretPage,
  type SecretShown,
  systemAccountPage,
} from './pages-system-account.ts';

type AccountRequest = FastifyRequest<{ Params: { clientId: string } }>;

const NO_ACCOUNT = 'No system account has this id.';

/** The JWKS URL as typed: an http(s) URL without credentials or fragment, or an error message. */
export function checkJwksUrl(value: string): string | undefined {
  if (value === '') return 'Enter the JSON Web Key Set URL, or choose None.';
  if (!httpUrl(value)) return 'Enter an http(s) URL, like https://app.example.com/api/auth/.well-known/jwks.';
  const url = new URL(value);
  if (url.username !== '' || url.password !== '' || url.hash !== '')
    return 'Enter the URL without a user name, password or fragment.';
  return undefined;
}

export function accountHandlers(ctx: SandboxContext) {
  function accountOf(request: AccountRequest): SandboxAppRegistration | undefined {
    return ctx.appByClientId(request.params.clientId);
  }

  function page(request: AccountRequest, app: SandboxAppRegistration, secret: SecretShown, extra = {}) {
    return systemAccountPage({ app, viewer: viewerOf(ctx, request), secret, ...extra });
  }

  return {
    async show(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      const { viewer, notice } = viewerWithNotice(ctx, request);
      return sendHtml(reply, 200, systemAccountPage({ app, viewer, secret: { kind: 'masked' }, notice }));
    },

    /** View: the secret, once. The answer is this POST's page: the secret never sits in a URL. */
    async viewSecret(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      if (!checkedPost(ctx, request, reply, systemAccountPath(app))) return reply;
      const secret = ctx.registry.viewSecretOnce(app.clientId);
      const shown: SecretShown =
        secret !== undefined ? { kind: 'revealed', secret, rotated: false } : { kind: 'already-viewed' };
      return sendHtml(reply, secret !== undefined ? 200 : 409, page(request, app, shown));
    },

    async showManageSecret(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      const session = signedIn(ctx, request, reply);
      if (!session) return reply;
      if (privacyOf(app) === 'public') return reply.redirect(systemAccountPath(app), 303);
      return sendHtml(reply, 200, manageSecretPage(app, session));
    },

    async rotateSecret(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      if (!checkedPost(ctx, request, reply, `${systemAccountPath(app)}/secret`)) return reply;
      const secret = ctx.registry.rotateSecret(app.clientId);
      if (secret === undefined) return reply.redirect(systemAccountPath(app), 303);
      // Shown right away, and that counts as its one view.
      ctx.registry.viewSecretOnce(app.clientId);
      const rotated = ctx.appByClientId(app.clientId) ?? app;
      return sendHtml(reply, 200, page(request, rotated, { kind: 'revealed', secret, rotated: true }));
    },

    async showEditJwks(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      const session = signedIn(ctx, request, reply);
      if (!session) return reply;
      return sendHtml(reply, 200, editJwksPage({ app, session, choice: 'url', url: app.jwksUrl ?? '' }));
    },

    async saveJwks(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      const post = checkedPost(ctx, request, reply, `${systemAccountPath(app)}/jwks/edit`);
      if (!post) return reply;
      const choice = post.fields.jwks_choice === 'none' ? 'none' : 'url';
      const url = (post.fields.jwks_url ?? '').trim();
      const error = choice === 'url' ? checkJwksUrl(url) : undefined;
      if (error)
        return sendHtml(reply, 400, editJwksPage({ app, session: post.session, choice, url, error }));
      ctx.registry.setJwksUrl(app.clientId, choice === 'url' ? url : undefined);
      post.session.notice =
        choice === 'url'
          ? 'Saved the JSON Web Key Set URL. Press Test to check that Cerner can fetch it.'
          : 'Removed the JSON Web Key Set URL.';
      return reply.redirect(systemAccountPath(app), 303);
    },

    async testJwks(request: AccountRequest, reply: FastifyReply) {
      const app = accountOf(request);
      if (!app) return consoleNotFound(reply, NO_ACCOUNT);
      if (!checkedPost(ctx, request, reply, systemAccountPath(app))) return reply;
      if (!app.jwksUrl) return reply.redirect(systemAccountPath(app), 303);
      const result = await fetchJwks(app.jwksUrl, ctx.fetchTimeoutMs);
      const test = { url: app.jwksUrl, result, keys: result.ok ? summarizeKeys(result.keys) : [] };
      return sendHtml(reply, 200, page(request, app, { kind: 'masked' }, { test }));
    },
  };
}
