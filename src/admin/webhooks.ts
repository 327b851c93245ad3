/**
 * Settings → Webhooks: the organization's endpoints, each endpoint's recent deliveries, and
 * Redeliver. Every read and write names the session's organization, so another organization's
 * endpoint or delivery answers 404 exactly like one that does not exist.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import type { Services } from '../services.ts';
import { listRecentDeliveries, redeliver } from '../webhooks/deliveries.ts';
import { getWebhookEndpoint, listWebhookEndpoints } from '../webhooks/endpoints.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import { sessionOf } from './session-guard.ts';
import { setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import { webhookEndpointPage, webhooksPage } from './views/webhooks.ts';

type EndpointRequest = FastifyRequest<{ Params: { id: string } }>;
type DeliveryRequest = FastifyRequest<{ Params: { id: string; messageId: string } }>;

export function webhookHandlers(services: Services) {
  const { db, sealer } = services;
  return {
    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoints = await listWebhookEndpoints(db, session.orgId);
      return sendPage(reply, 200, webhooksPage(session, endpoints));
    },

    async show(request: EndpointRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const endpoint = await getWebhookEndpoint(db, session.orgId, request.params.id);
      const deliveries = await listRecentDeliveries(db, session.orgId, endpoint.id, 50);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, webhookEndpointPage(session, endpoint, deliveries, flash));
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
      return redirectAfterPost(reply, `/admin/settings/webhooks/${encodeURIComponent(endpoint.id)}`);
    },
  };
}
