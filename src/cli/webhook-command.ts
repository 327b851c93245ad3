/**
 * `webhook add|list|remove`: an organization's webhook endpoints (src/webhooks/). `add` prints
 * the signing secret once; it is stored sealed and never shown again. Another organization's
 * endpoint is refused exactly like one that does not exist.
 */
import { recordAudit } from '../audit/audit-log.ts';
import {
  addWebhookEndpoint,
  auditedUrl,
  listWebhookEndpoints,
  removeWebhookEndpoint,
  type WebhookEndpoint,
} from '../webhooks/endpoints.ts';
import { CliUsageError } from './cli-errors.ts';
import {
  type CommandContext,
  type CommandOutput,
  type Flags,
  requiredOrg,
  stringFlag,
} from './command-runner.ts';

const describe = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  events: [...endpoint.events],
  created_at: endpoint.createdAt,
});

export async function addWebhook(flags: Flags, context: CommandContext): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const endpoint = await addWebhookEndpoint(context, orgId, {
    url: stringFlag(flags, 'url'),
    events: stringFlag(flags, 'events'),
    actor: 'cli',
  });
  await recordAudit(context.db, {
    action: 'webhook_endpoint.added',
    actor: 'cli',
    orgId,
    details: { id: endpoint.id, url: auditedUrl(endpoint.url), events: endpoint.events.join(',') },
  });
  return {
    json: {
      id: endpoint.id,
      org: orgId,
      url: endpoint.url,
      events: [...endpoint.events],
      secret: endpoint.secret,
    },
    text: `Added webhook endpoint ${endpoint.id} for ${orgId}: ${endpoint.url} (${endpoint.events.join(', ')})\nSigning secret (verify webhook-signature with it; it is not shown again):\n${endpoint.secret}`,
  };
}

export async function listWebhooks(flags: Flags, { db }: CommandContext): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const endpoints = await listWebhookEndpoints(db, orgId);
  return {
    json: { org: orgId, endpoints: endpoints.map(describe) },
    text:
      endpoints.length === 0
        ? `No webhook endpoints for ${orgId}.`
        : endpoints.map((e) => `${e.id}  ${e.url}  ${e.events.join(',')}`).join('\n'),
  };
}

export async function removeWebhook(flags: Flags, { db }: CommandContext): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const id = stringFlag(flags, 'id');
  if (!id) throw new CliUsageError('--id is required');
  const endpoint = await removeWebhookEndpoint(db, orgId, id);
  await recordAudit(db, {
    action: 'webhook_endpoint.removed',
    actor: 'cli',
    orgId,
    details: { id: endpoint.id, url: auditedUrl(endpoint.url) },
  });
  return {
    json: { id: endpoint.id, org: orgId, removed: true },
    text: `Removed webhook endpoint ${endpoint.id} (${endpoint.url}); its pending deliveries are dropped.`,
  };
}
