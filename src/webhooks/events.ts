/**
 * The events an organization's webhook endpoints can subscribe to, and the JSON body each one is
 * sent with: the Standard Webhooks shape `{type, timestamp, data}` with ids and statuses only —
 * never a token, a code, a patient or an encounter (an app resolves the launch with its API key).
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#payload-structure
 */
import { pooledRandomBytes } from '../crypto/random.ts';

export const WEBHOOK_EVENTS = [
  'launch.ready',
  'launch.failed',
  'launch.ended',
  'launch.refresh_failed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

export function isWebhookEvent(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** What a launch event says: the columns of its outbox row, and the body's `data`. */
export interface LaunchEventData {
  readonly launch_id: string;
  readonly org_id: string;
  readonly environment: string;
  readonly status: string;
  /** Why it failed (`oauth_error`, `token_exchange_failed`, `token_unavailable`). */
  readonly code?: string;
  /** Why it ended (`max_session_age`, `access_token_expired`, `refresh_refused`, …). */
  readonly reason?: string;
}

export interface WebhookPayload {
  readonly type: string;
  readonly timestamp: string;
  readonly data: LaunchEventData;
}

/** The stored row's fields a body is built from. */
export interface DeliveryFacts {
  event_type: string;
  occurred_at: string;
  launch_id: string | null;
  org_id: string;
  environment: string | null;
  launch_status: string | null;
  code: string | null;
  reason: string | null;
}

/** The body, the same bytes on every attempt of one event (the signature covers them). */
export function payloadOf(row: DeliveryFacts): string {
  const data: LaunchEventData = {
    launch_id: row.launch_id ?? '',
    org_id: row.org_id,
    environment: row.environment ?? '',
    status: row.launch_status ?? '',
    ...(row.code ? { code: row.code } : {}),
    ...(row.reason ? { reason: row.reason } : {}),
  };
  const payload: WebhookPayload = { type: row.event_type, timestamp: row.occurred_at, data };
  return JSON.stringify(payload);
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `msg_…`: the `webhook-id` of one event, shared by every endpoint and every retry. */
export function newMessageId(): string {
  return `msg_${base62(22)}`;
}

export function newEndpointId(): string {
  return `whep_${base62(22)}`;
}

function base62(length: number): string {
  let out = '';
  for (const byte of pooledRandomBytes(length)) out += ALPHABET[byte % 62];
  return out;
}
