/**
 * The admin console under /admin (server-rendered; htmx only enhances). Wiring only: form and
 * cookie parsing and the session guard are registered in this encapsulated scope, so none of it
 * reaches the rest of the gateway. Errors render as console pages (the `console` surface,
 * errors/surface.ts; the pages are error-pages.ts).
 */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { activityHandlers } from './activity.ts';
import { type Asset, consoleAssets } from './assets.ts';
import { connectionHandlers } from './connections.ts';
import { fhirSourceHandlers } from './fhir-sources.ts';
import { keyHandlers } from './keys.ts';
import { organizationHandlers } from './organizations.ts';
import { requireSession } from './session-guard.ts';
import { signInHandlers } from './sign-in.ts';
import * as webhookSchemas from './webhook-schemas.ts';
import { webhookHandlers } from './webhooks.ts';

type Id = { Params: { id: string } };
type VendorParam = { Params: { vendor: string }; Querystring: { environment?: string } };

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
      scope.get('/sign-in', page, signIn.show);
      scope.post('/sign-in', page, signIn.submit);

      await scope.register(async (signedIn) => {
        signedIn.addHook('preHandler', requireSession(services.db, services.config));
        const connections = connectionHandlers(services);
        const sources = fhirSourceHandlers(services);
        const activity = activityHandlers(services);
        const keys = keyHandlers(services);
        const organizations = organizationHandlers(services);
        const webhooks = webhookHandlers(services);

        signedIn.get('/', page, async (_request, reply) => reply.redirect('/admin/launches', 302));
        signedIn.post('/sign-out', page, signIn.signOut);

        signedIn.get('/launches', page, activity.launches);
        signedIn.get('/audit', page, activity.audit);

        signedIn.get('/settings', page, connections.settings);
        signedIn.post('/settings/go-live', page, connections.goLive);
        signedIn.get('/settings/connections', page, connections.list);
        signedIn.get<VendorParam>('/settings/connections/:vendor', page, connections.show);
        signedIn.post<VendorParam>('/settings/connections/:vendor', page, connections.save);

        signedIn.get('/settings/fhir-sources', page, sources.list);
        signedIn.get('/settings/fhir-sources/new', page, sources.showNew);
        signedIn.post('/settings/fhir-sources', page, sources.add);
        signedIn.get<Id>('/settings/fhir-sources/:id', page, sources.show);
        signedIn.post<Id>('/settings/fhir-sources/:id', page, sources.update);
        signedIn.post<Id>('/settings/fhir-sources/:id/discover', page, sources.discover);
        signedIn.post<Id>('/settings/fhir-sources/:id/links', page, sources.link);
        signedIn.post<{ Params: { id: string; orgId: string } }>(
          '/settings/fhir-sources/:id/links/:orgId/unlink',
          page,
          sources.unlink,
        );

        signedIn.get('/organizations', page, organizations.list);
        signedIn.post<Id>('/organizations/:id/view', page, organizations.view);

        signedIn.get('/settings/api-keys', page, keys.apiKeys);
        signedIn.post('/settings/api-keys', page, keys.createApiKey);
        signedIn.get<Id>('/settings/api-keys/:id/revoke', page, keys.confirmRevoke);
        signedIn.post<Id>('/settings/api-keys/:id/revoke', page, keys.revoke);

        signedIn.get('/settings/signing-keys', page, keys.signingKeys);

        signedIn.get('/settings/webhooks', { ...page, schema: webhookSchemas.webhooksPage }, webhooks.list);
        signedIn.post('/settings/webhooks', { ...page, schema: webhookSchemas.addWebhookForm }, webhooks.add);
        signedIn.get<Id>(
          '/settings/webhooks/:id',
          { ...page, schema: webhookSchemas.webhookEndpointPage },
          webhooks.show,
        );
        signedIn.post<Id>(
          '/settings/webhooks/:id/remove',
          { ...page, schema: webhookSchemas.removeWebhookForm },
          webhooks.remove,
        );
        signedIn.post<{ Params: { id: string; messageId: string } }>(
          '/settings/webhooks/:id/deliveries/:messageId/redeliver',
          { ...page, schema: webhookSchemas.redeliverForm },
          webhooks.redeliver,
        );
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
