/**
 * An organization's webhook endpoints (`webhook_endpoint`): added with a new signing secret
 * (returned once, then only sealed), listed and removed — always within one organization, so
 * another organization's endpoint answers exactly like one that does not exist.
 */
import type { Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import type { WebhookEndpointTable } from '../db/schema-webhooks.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { assertAllowedUrl, urlPolicyForMode } from '../http/url-policy.ts';
import { getOrganization } from '../settings/organizations.ts';
import { validateAdminUrl } from '../settings/validation.ts';
import { isWebhookEvent, newEndpointId, WEBHOOK_EVENTS } from './events.ts';
import { newSigningSecret } from './signing.ts';

/** Every event, future ones included. */
export const ALL_EVENTS = '*';

export interface WebhookEndpoint {
  readonly id: string;
  readonly orgId: string;
  readonly url: string;
  /** `['*']` for every event. */
  readonly events: readonly string[];
  readonly createdAt: string;
}

export const secretContext = (endpointId: string) => `webhook_endpoint.secret:${endpointId}`;

type UrlConfig = Pick<Config, 'mode' | 'allowPrivateUpstreams'>;

/**
 * https (http only on loopback outside production); in production not a private, loopback,
 * link-local or metadata address unless inside `CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS`. Names are
 * judged again by what they resolve to at every delivery (the outbound policy).
 */
export function validateWebhookUrl(value: string | undefined, config: UrlConfig): string {
  if (!value) throw new ChartsideError('invalid_data', { param: 'url', message: 'url is required.' });
  if (value.length > 2048)
    throw new ChartsideError('invalid_data', {
      param: 'url',
      message: 'url must be at most 2048 characters.',
    });
  const url = validateAdminUrl(value, 'url', config.mode !== 'production');
  try {
    assertAllowedUrl(url, urlPolicyForMode(config.mode, config.allowPrivateUpstreams), 'webhook URL');
  } catch (error) {
    throw new ChartsideError('webhook_url_not_allowed', { param: 'url', cause: error });
  }
  return url;
}

/**
 * The URL as the audit trail keeps it: origin and path only, since some receivers take a token
 * in the query string and audit rows never hold secrets (docs/events.md).
 */
export function auditedUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** `a,b` → the subscribed list as stored (`,a,b,`), or `*` when none is named. */
export function parseEvents(value: string | undefined): string {
  if (value === undefined) return ALL_EVENTS;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 || names.some((name) => !isWebhookEvent(name))) {
    throw new ChartsideError('invalid_data', {
      param: 'events',
      message: `events must be a comma-separated list of ${WEBHOOK_EVENTS.join(', ')}.`,
    });
  }
  return `,${[...new Set(names)].join(',')},`;
}

function eventsOf(stored: string): string[] {
  return stored === ALL_EVENTS ? [ALL_EVENTS] : stored.split(',').filter(Boolean);
}

function toEndpoint(row: Omit<WebhookEndpointTable, 'secret' | 'created_by'>): WebhookEndpoint {
  return {
    id: row.id,
    orgId: row.org_id,
    url: row.url,
    events: eventsOf(row.events),
    createdAt: row.created_at,
  };
}

export interface NewEndpoint {
  url: string | undefined;
  events?: string | undefined;
  actor: string;
}

/** Adds an endpoint; the signing secret is in the answer and never readable again. */
export async function addWebhookEndpoint(
  { db, sealer, config }: { db: Db; sealer: Sealer; config: UrlConfig },
  orgId: string,
  input: NewEndpoint,
): Promise<WebhookEndpoint & { secret: string }> {
  await getOrganization(db, orgId);
  const url = validateWebhookUrl(input.url, config);
  const events = parseEvents(input.events);
  const id = newEndpointId();
  const secret = newSigningSecret();
  const row: WebhookEndpointTable = {
    id,
    org_id: orgId,
    url,
    events,
    secret: sealer.seal(secret, secretContext(id)),
    created_at: new Date().toISOString(),
    created_by: input.actor,
  };
  await db.insertInto('webhook_endpoint').values(row).execute();
  return { ...toEndpoint(row), secret };
}

export async function listWebhookEndpoints(db: Db, orgId: string): Promise<WebhookEndpoint[]> {
  const rows = await db
    .selectFrom('webhook_endpoint')
    .select(['id', 'org_id', 'url', 'events', 'created_at'])
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toEndpoint);
}

function notFound(): ChartsideError {
  return new ChartsideError('resource_not_found', {
    param: 'id',
    message: 'There is no such webhook endpoint.',
  });
}

/** The org's endpoint, or 404 (another org's included). */
export async function getWebhookEndpoint(db: Db, orgId: string, id: string): Promise<WebhookEndpoint> {
  const row = await db
    .selectFrom('webhook_endpoint')
    .select(['id', 'org_id', 'url', 'events', 'created_at'])
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound();
  return toEndpoint(row);
}

/** Removes the org's endpoint and its deliveries (pending ones are not sent). */
export async function removeWebhookEndpoint(db: Db, orgId: string, id: string): Promise<WebhookEndpoint> {
  const endpoint = await getWebhookEndpoint(db, orgId, id);
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('webhook_delivery')
      .where('endpoint_id', '=', id)
      .where('org_id', '=', orgId)
      .execute();
    await trx.deleteFrom('webhook_endpoint').where('id', '=', id).where('org_id', '=', orgId).execute();
  });
  return endpoint;
}

/** The endpoint's URL and opened secret, for one delivery. */
export async function endpointForDelivery(
  db: Db,
  sealer: Sealer,
  id: string,
): Promise<{ url: string; secret: string } | undefined> {
  const row = await db
    .selectFrom('webhook_endpoint')
    .select(['url', 'secret'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { url: row.url, secret: sealer.open(row.secret, secretContext(id)) };
}
