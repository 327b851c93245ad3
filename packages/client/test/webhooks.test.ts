/**
 * verifyWebhook against the README's signed example (so the two cannot drift apart) and against
 * every way a forged, altered or replayed request differs from a genuine one.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyWebhook, WebhookVerificationError } from '../src/index.ts';

// The README's Webhooks example, verbatim.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const HEADERS = {
  'webhook-id': 'msg_2bWq0H0mJ8m5bX3Yk1Qp7c',
  'webhook-timestamp': '1796644800',
  'webhook-signature': 'v1,bTUt6uL9JRDE8wH4s3zVVi8yu7MISqwfiLOeR6kqjXU=',
};
const BODY =
  '{"type":"launch.ready","timestamp":"2026-12-07T12:00:00.000Z","data":{"launch_id":"0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de","org_id":"org_4QbR7t1sWc2mKx9PzL0aEy","environment":"sandbox","status":"ready"}}';
const AT = 1796644800 * 1000;

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof WebhookVerificationError, String(error));
    return error.reason;
  }
  assert.fail('verified');
}

describe('verifyWebhook (Standard Webhooks)', () => {
  it('verifies the README’s example and returns its event', () => {
    const event = verifyWebhook(HEADERS, BODY, SECRET, { now: AT });
    assert.equal(event.type, 'launch.ready');
    assert.equal(event.data.launch_id, '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de');
    assert.equal(event.data.status, 'ready');
  });

  it('takes the body as bytes, and headers as fetch Headers or Node’s arrays', () => {
    assert.equal(
      verifyWebhook(new Headers(HEADERS), Buffer.from(BODY), SECRET, { now: AT }).type,
      'launch.ready',
    );
    const node = { ...HEADERS, 'webhook-signature': ['v1,AAAA', HEADERS['webhook-signature']] };
    assert.equal(
      verifyWebhook(node, new TextEncoder().encode(BODY), SECRET, { now: AT }).type,
      'launch.ready',
    );
  });

  it('accepts any one valid v1 signature among several (a secret being rotated)', () => {
    const signatures = `v1a,ignored v1,bm90IHRoaXMgb25l ${HEADERS['webhook-signature']}`;
    const event = verifyWebhook({ ...HEADERS, 'webhook-signature': signatures }, BODY, SECRET, { now: AT });
    assert.equal(event.type, 'launch.ready');
  });

  it('refuses an altered body, id or timestamp, another secret, or a non-v1 signature', () => {
    const altered = BODY.replace('"ready"}', '"failed"}');
    assert.equal(
      failure(() => verifyWebhook(HEADERS, altered, SECRET, { now: AT })),
      'invalid_signature',
    );
    const otherId = { ...HEADERS, 'webhook-id': 'msg_other' };
    assert.equal(
      failure(() => verifyWebhook(otherId, BODY, SECRET, { now: AT })),
      'invalid_signature',
    );
    const later = { ...HEADERS, 'webhook-timestamp': '1796644801' };
    assert.equal(
      failure(() => verifyWebhook(later, BODY, SECRET, { now: AT })),
      'invalid_signature',
    );
    const other = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    assert.equal(
      failure(() => verifyWebhook(HEADERS, BODY, other, { now: AT })),
      'invalid_signature',
    );
    const v2 = { ...HEADERS, 'webhook-signature': HEADERS['webhook-signature'].replace('v1,', 'v2,') };
    assert.equal(
      failure(() => verifyWebhook(v2, BODY, SECRET, { now: AT })),
      'invalid_signature',
    );
  });

  it('refuses a replay: a timestamp more than the tolerance away, either way', () => {
    assert.equal(
      failure(() => verifyWebhook(HEADERS, BODY, SECRET, { now: AT + 301_000 })),
      'timestamp_out_of_tolerance',
    );
    assert.equal(
      failure(() => verifyWebhook(HEADERS, BODY, SECRET, { now: AT - 301_000 })),
      'timestamp_out_of_tolerance',
    );
    assert.equal(verifyWebhook(HEADERS, BODY, SECRET, { now: AT + 299_000 }).type, 'launch.ready');
    const tight = { now: AT + 11_000, toleranceSeconds: 10 };
    assert.equal(
      failure(() => verifyWebhook(HEADERS, BODY, SECRET, tight)),
      'timestamp_out_of_tolerance',
    );
  });

  it('refuses missing headers, a malformed timestamp, an empty secret, a body that is not JSON', () => {
    const { 'webhook-signature': _, ...unsigned } = HEADERS;
    assert.equal(
      failure(() => verifyWebhook(unsigned, BODY, SECRET, { now: AT })),
      'missing_headers',
    );
    const bad = { ...HEADERS, 'webhook-timestamp': '1796644800.5' };
    assert.equal(
      failure(() => verifyWebhook(bad, BODY, SECRET, { now: AT })),
      'invalid_timestamp',
    );
    assert.equal(
      failure(() => verifyWebhook(HEADERS, BODY, 'whsec_', { now: AT })),
      'invalid_secret',
    );
    const text = 'not json';
    const key = Buffer.from(SECRET.slice(6), 'base64');
    const signature = createHmac('sha256', key).update(
      `${HEADERS['webhook-id']}.${HEADERS['webhook-timestamp']}.${text}`,
    );
    const signed = { ...HEADERS, 'webhook-signature': `v1,${signature.digest('base64')}` };
    assert.equal(
      failure(() => verifyWebhook(signed, text, SECRET, { now: AT })),
      'invalid_body',
    );
  });
});
