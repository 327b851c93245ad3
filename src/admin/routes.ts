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
import * as schemas from './schemas.ts';
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

        signedIn.get('/', { ...page, schema: schemas.home }, async (_request, reply) =>
          reply.redirect('/admin/launches', 302),
        );
        signedIn.post('/sign-out', { ...page, schema: schemas.signOutForm }, signIn.signOut);

        signedIn.get('/launches', { ...page, schema: schemas.launchesPage }, activity.launches);
        signedIn.get('/audit', { ...page, schema: schemas.auditPage }, activity.audit);

        signedIn.get(
          '/settings',
          { ...page, schema: schemas.plainPage('Settings, with the go-live checklist.') },
          connections.settings,
        );
        signedIn.post('/settings/go-live', { ...page, schema: schemas.goLiveForm }, connections.goLive);
        signedIn.get(
          '/settings/connections',
          { ...page, schema: schemas.plainPage('The connections, one per EHR vendor.') },
          connections.list,
        );
        signedIn.get<VendorParam>(
          '/settings/connections/:vendor',
          { ...page, schema: schemas.connectionPage },
          connections.show,
        );
        signedIn.post(
          '/settings/connections/:vendor',
          { ...page, schema: schemas.connectionForm },
          connections.save,
        );

        signedIn.get(
          '/settings/fhir-sources',
          { ...page, schema: schemas.plainPage('The FHIR sources.') },
          sources.list,
        );
        signedIn.get(
          '/settings/fhir-sources/new',
          { ...page, schema: schemas.plainPage('The form for a new FHIR source.') },
          sources.showNew,
        );
        signedIn.post('/settings/fhir-sources', { ...page, schema: schemas.sourceForm }, sources.add);
        signedIn.get<Id>('/settings/fhir-sources/:id', { ...page, schema: schemas.sourcePage }, sources.show);
        signedIn.post(
          '/settings/fhir-sources/:id',
          { ...page, schema: schemas.sourceUpdateForm },
          sources.update,
        );
        signedIn.post<Id>(
          '/settings/fhir-sources/:id/discover',
          { ...page, schema: schemas.sourceAction },
          sources.discover,
        );
        signedIn.post(
          '/settings/fhir-sources/:id/links',
          { ...page, schema: schemas.sourceLinkForm },
          sources.link,
        );
        signedIn.post<{ Params: { id: string; orgId: string } }>(
          '/settings/fhir-sources/:id/links/:orgId/unlink',
          { ...page, schema: schemas.sourceUnlinkForm },
          sources.unlink,
        );

        signedIn.get(
          '/organizations',
          { ...page, schema: schemas.plainPage('Every organization (platform admins).') },
          organizations.list,
        );
        signedIn.post<Id>(
          '/organizations/:id/view',
          { ...page, schema: schemas.organizationView },
          organizations.view,
        );

        signedIn.get(
          '/settings/api-keys',
          { ...page, schema: schemas.plainPage('The organization’s API keys.') },
          keys.apiKeys,
        );
        signedIn.post('/settings/api-keys', { ...page, schema: schemas.apiKeyForm }, keys.createApiKey);
        signedIn.get<Id>(
          '/settings/api-keys/:id/revoke',
          { ...page, schema: schemas.apiKeyRevokePage },
          keys.confirmRevoke,
        );
        signedIn.post<Id>(
          '/settings/api-keys/:id/revoke',
          { ...page, schema: schemas.apiKeyRevokeForm },
          keys.revoke,
        );

        signedIn.get(
          '/settings/signing-keys',
          { ...page, schema: schemas.plainPage('Our signing keys and their schedule.') },
          keys.signingKeys,
        );

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
