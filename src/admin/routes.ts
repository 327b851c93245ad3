/**
 * The admin console under /admin (server-rendered; htmx only enhances). Wiring only: form and
 * cookie parsing and the session guard are registered in this encapsulated scope, so none of it
 * reaches the rest of the gateway. Errors render as console pages (the `console` surface,
 * errors/surface.ts; the pages are error-pages.ts).
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  RouteHandlerMethod,
} from 'fastify';
import type { Services } from '../services.ts';
import { activityHandlers } from './activity.ts';
import { type Asset, consoleAssets } from './assets.ts';
import { connectionHandlers } from './connections.ts';
import { fhirSourceHandlers } from './fhir-sources.ts';
import { keyHandlers } from './keys.ts';
import { organizationHandlers } from './organizations.ts';
import * as schemas from './schemas.ts';
import { requireSession } from './session-guard.ts';
import { signInHandlers } from './sign-in.ts';
import * as webhookSchemas from './webhook-schemas.ts';
import { webhookHandlers } from './webhooks.ts';

/**
 * A console route. Each handler types the params, query and body its schema lets through; the
 * schema, checked before the handler runs, is what makes that type true.
 */
type ConsoleRoute = [
  method: 'GET' | 'POST',
  url: string,
  schema: FastifySchema,
  // biome-ignore lint/suspicious/noExplicitAny: each handler declares its own request type
  handler: (request: FastifyRequest<any>, reply: FastifyReply) => unknown,
];

export async function adminRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const assets = consoleAssets();
  await app.register(
    async (scope) => {
      await scope.register(formbody, { bodyLimit: 64 * 1024 });
      await scope.register(cookie);
      scope.decorateRequest('consoleSession', null);
      const page = { config: { surface: 'console' as const } };

      for (const asset of [assets.css, assets.js, assets.htmx, assets.icon]) {
        scope.get(asset.path.slice('/admin'.length).split('?')[0] as string, serve(asset));
      }

      const signIn = signInHandlers(services);
      scope.get('/sign-in', { ...page, schema: schemas.signInPage }, signIn.show);
      scope.post('/sign-in', { ...page, schema: schemas.signInForm }, signIn.submit);

      await scope.register(async (signedIn) => {
        // Before validation: a visitor without a session is sent to sign in, whatever they posted.
        signedIn.addHook('preValidation', requireSession(services.db, services.config));
        const connections = connectionHandlers(services);
        const sources = fhirSourceHandlers(services);
        const activity = activityHandlers(services);
        const keys = keyHandlers(services);
        const organizations = organizationHandlers(services);
        const webhooks = webhookHandlers(services);

        const { plainPage: described } = schemas;
        // [method, path under /admin, schema, handler]: the console's pages and forms.
        const pages: ConsoleRoute[] = [
          ['GET', '/', schemas.home, async (_request, reply) => reply.redirect('/admin/launches', 302)],
          ['POST', '/sign-out', schemas.signOutForm, signIn.signOut],
          ['GET', '/launches', schemas.launchesPage, activity.launches],
          ['GET', '/audit', schemas.auditPage, activity.audit],
          ['GET', '/settings', described('Settings, with the go-live checklist.'), connections.settings],
          ['POST', '/settings/go-live', schemas.goLiveForm, connections.goLive],
          [
            'GET',
            '/settings/connections',
            described('The connections, one per EHR vendor.'),
            connections.list,
          ],
          ['GET', '/settings/connections/:vendor', schemas.connectionPage, connections.show],
          ['POST', '/settings/connections/:vendor', schemas.connectionForm, connections.save],
          ['GET', '/settings/fhir-sources', described('The FHIR sources.'), sources.list],
          [
            'GET',
            '/settings/fhir-sources/new',
            described('The form for a new FHIR source.'),
            sources.showNew,
          ],
          ['POST', '/settings/fhir-sources', schemas.sourceForm, sources.add],
          ['GET', '/settings/fhir-sources/:id', schemas.sourcePage, sources.show],
          ['POST', '/settings/fhir-sources/:id', schemas.sourceUpdateForm, sources.update],
          ['POST', '/settings/fhir-sources/:id/discover', schemas.sourceAction, sources.discover],
          ['POST', '/settings/fhir-sources/:id/links', schemas.sourceLinkForm, sources.link],
          [
            'POST',
            '/settings/fhir-sources/:id/links/:orgId/unlink',
            schemas.sourceUnlinkForm,
            sources.unlink,
          ],
          ['GET', '/organizations', described('Every organization (platform admins).'), organizations.list],
          ['POST', '/organizations/:id/view', schemas.organizationView, organizations.view],
          ['GET', '/settings/api-keys', described('The organization’s API keys.'), keys.apiKeys],
          ['POST', '/settings/api-keys', schemas.apiKeyForm, keys.createApiKey],
          ['GET', '/settings/api-keys/:id/revoke', schemas.apiKeyRevokePage, keys.confirmRevoke],
          ['POST', '/settings/api-keys/:id/revoke', schemas.apiKeyRevokeForm, keys.revoke],
          [
            'GET',
            '/settings/signing-keys',
            described('Our signing keys and their schedule.'),
            keys.signingKeys,
          ],
          ['GET', '/settings/webhooks', webhookSchemas.webhooksPage, webhooks.list],
          ['POST', '/settings/webhooks', webhookSchemas.addWebhookForm, webhooks.add],
          ['GET', '/settings/webhooks/:id', webhookSchemas.webhookEndpointPage, webhooks.show],
          ['POST', '/settings/webhooks/:id/remove', webhookSchemas.removeWebhookForm, webhooks.remove],
          [
            'POST',
            '/settings/webhooks/:id/deliveries/:messageId/redeliver',
            webhookSchemas.redeliverForm,
            webhooks.redeliver,
          ],
        ];
        for (const [method, url, schema, handler] of pages) {
          signedIn.route({ method, url, schema, handler: handler as RouteHandlerMethod, ...page });
        }
      });
    },
    { prefix: '/admin' },
  );
}

function serve(asset: Asset) {
  return async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .type(asset.type)
      // The URL carries a hash of the content, so a new version gets a new URL.
      .header('cache-control', 'public, max-age=31536000, immutable')
      .send(asset.body);
}
