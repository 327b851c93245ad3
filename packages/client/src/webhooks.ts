/**
 * Verify a webhook from Chartside before trusting it (Standard Webhooks): the HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<raw body>`, keyed with the base64 bytes after `whsec_`, must
 * equal one of the `v1,<base64>` signatures in `webhook-signature` (compared in constant time),
 * and the timestamp must be recent (a captured request replayed later fails).
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#verifying-webhook-authenticity
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookEventType = 'launch.ready' | 'launch.failed' | 'launch.ended' | 'launch.refresh_failed';

/** The body of a Chartside webhook: ids and statuses, never a token or a patient. */
export interface WebhookEvent {
  readonly type: WebhookEventType | (string & {});
  readonly timestamp: string;
  readonly data: {
    readonly launch_id: string;
    readonly org_id: string;
    readonly environment: string;
    readonly status: string;
    readonly code?: string;
    readonly reason?: string;
  };
}

export type WebhookVerificationFailure =
  | 'missing_headers'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'invalid_signature'
  | 'invalid_secret'
  | 'invalid_body';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(readonly reason: WebhookVerificationFailure) {
    super(`Webhook not verified: ${reason.replace(/_/g, ' ')}.`);
  }
}

/** Request headers as Node (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (default 300 s). */
  readonly toleranceSeconds?: number;
  /** Now, in milliseconds (tests). */
  readonly now?: number;
}

/**
 * Check a webhook request and return its event. `body` is the raw body as received (a string or
 * the bytes): a re-serialized object does not verify. Throws {@link WebhookVerificationError}.
 */
export function verifyWebhook(
  headers: WebhookHeaders,
  body: string | Uint8Array,
  secret: string,
  options: VerifyOptions = {},
): WebhookEvent {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('invalid_timestamp');
  const nowSeconds = (options.now ?? Date.now()) / 1000;
  if (Math.abs(nowSeconds - Number(timestamp)) > (options.toleranceSeconds ?? 300)) {
    throw new WebhookVerificationError('timestamp_out_of_tolerance');
  }
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  const expected = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.`).update(raw).digest();
  const matches = signatures.split(' ').some((candidate) => {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) return false;
    const presented = Buffer.from(signature, 'base64');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
  if (!matches) throw new WebhookVerificationError('invalid_signature');
  try {
    return JSON.parse(raw.toString('utf8')) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('invalid_body');
  }
}

function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new WebhookVerificationError('invalid_secret');
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}
