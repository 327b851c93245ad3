/**
 * Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the bytes of the `whsec_<base64>` secret.
 *
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pooledRandomBytes } from '../crypto/random.ts';

const SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 bytes; 32 is HMAC-SHA256's own block-sized key. */
const SECRET_BYTES = 32;

export function newSigningSecret(): string {
  return `${SECRET_PREFIX}${pooledRandomBytes(SECRET_BYTES).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

export type SignedHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** The three headers of one attempt; `timestamp` is the attempt's, in whole seconds. */
export function signWebhook(
  secret: string,
  messageId: string,
  timestamp: number,
  body: string,
): SignedHeaders {
  const signature = createHmac('sha256', keyOf(secret))
    .update(`${messageId}.${timestamp}.${body}`)
    .digest('base64');
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * What a receiver does (and what the tests check independently): recompute, compare each `v1,`
 * signature in constant time, refuse timestamps more than `toleranceSeconds` away (replays).
 */
export function verifyWebhook(
  secret: string,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  { now = Date.now(), toleranceSeconds = 300 } = {},
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(
    signWebhook(secret, id, Number(timestamp), body)['webhook-signature'].slice(3),
  );
  return signatures.split(' ').some((candidate) => {
    if (!candidate.startsWith('v1,')) return false;
    const presented = Buffer.from(candidate.slice(3));
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}
