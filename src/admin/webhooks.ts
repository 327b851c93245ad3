/**
 * Settings → Webhooks: the organization's endpoints (add, with the signing secret shown once;
 * remove), each endpoint's recent deliveries, and Redeliver. Every read and write names the
 * session's organization, so another organization's endpoint or delivery answers 404 exactly
 * like one that does not exist.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import { listRecentDeliveries, redeliver } from '../webhooks/deliveries.ts';
import {
  addWebhookEndpoint,
  auditedUrl,
  getWebhookEndpoint,
  listWebhookEndpoints,
  removeWebhookEndpoint,
} from '../webhooks/endpoints.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import { sessionOf } from './session-guard.ts';
import { setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import { type NewEndpointForm, webhookEndpointPage, webhooksPage } from './views/webhooks.ts';

type EndpointRequest = FastifyRequest<{ Params: { id: string } }>;
type DeliveryRequest = FastifyRequest<{ Params: { id: string; messageId: string } }>;

const endpointPath = (id: string) => `/admin/settings/webhooks/${encodeURIComponent(id)}`;

/** The ticked event boxes (a repeated field), or none: every event. */
/** The add form as its schema (webhook-schemas.ts) lets it through. */
interface AddForm {
  url?: string;
  /** Ticked checkboxes: one value, or several. */
  events?: string | string[];
}

function eventsOf(form: AddForm): string | undefined {
  const ticked = [form.events ?? []].flat();
  return ticked.length > 0 ? ticked.join(',') : undefined;
}

export function webhookHandlers(services: Services) {
  const { db, sealer } = services;
  return {
    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoints = await listWebhookEndpoints(db, session.orgId);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, webhooksPage(session, endpoints, { flash }));
    },

    async add(request: FastifyRequest<{ Body: AddForm }>, reply: FastifyReply) {
      const session = sessionOf(request);
      const form: NewEndpointForm = {
        url: request.body.url ?? '',
        events: eventsOf(request.body),
      };
      let endpoint: Awaited<ReturnType<typeof addWebhookEndpoint>>;
      try {
        endpoint = await addWebhookEndpoint(services, session.orgId, {
          ...form,
          actor: operatorActor(session.email),
        });
      } catch (error) {
        if (!(error instanceof ChartsideError) || !['url', 'events'].includes(error.param ?? '')) throw error;
        const endpoints = await listWebhookEndpoints(db, session.orgId);
        return sendPage(reply, 422, webhooksPage(session, endpoints, { form, error }));
      }
      await recordAudit(db, {
        action: 'webhook_endpoint.added',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
        details: { id: endpoint.id, url: auditedUrl(endpoint.url), events: endpoint.events.join(',') },
      });
      // The only copy of the secret travels in the sealed, read-once flash to the next page.
      await setFlash(db, sealer, session, {
        webhookSecret: { endpointId: endpoint.id, secret: endpoint.secret },
      });
      return redirectAfterPost(reply, endpointPath(endpoint.id));
    },

    async show(request: EndpointRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoint = await getWebhookEndpoint(db, session.orgId, request.params.id);
      const deliveries = await listRecentDeliveries(db, session.orgId, endpoint.id, 50);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, webhookEndpointPage(session, endpoint, deliveries, flash));
    },

    async remove(request: EndpointRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoint = await removeWebhookEndpoint(db, session.orgId, request.params.id);
      await recordAudit(db, {
        action: 'webhook_endpoint.removed',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
        details: { id: endpoint.id, url: auditedUrl(endpoint.url) },
      });
      await setFlash(db, sealer, session, { notice: `Removed the webhook endpoint ${endpoint.url}.` });
      return redirectAfterPost(reply, '/admin/settings/webhooks');
    },

    async redeliver(request: DeliveryRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoint = await getWebhookEndpoint(db, session.orgId, request.params.id);
      const { messageId } = request.params;
      await redeliver(db, session.orgId, endpoint.id, messageId);
      await recordAudit(db, {
        action: 'webhook_delivery.redelivered',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
        details: { endpoint: endpoint.id, message: messageId },
      });
      await setFlash(db, sealer, session, {
        notice: `Delivery ${messageId} is sent again now, with the same webhook-id.`,
      });
      return redirectAfterPost(reply, endpointPath(endpoint.id));
    },
  };
}
