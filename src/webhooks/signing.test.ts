import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newSigningSecret, signWebhook, verifyWebhook } from './signing.ts';

describe('Standard Webhooks signatures', () => {
  // The example of the Standard Webhooks specification (spec/standard-webhooks.md, "Signature scheme").
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = 1614265330;
  const body = '{"test": 2432232314}';

  it('signs id.timestamp.body with HMAC-SHA256 keyed by the secret’s base64 bytes (the spec’s example)', () => {
    assert.deepEqual(signWebhook(secret, id, timestamp, body), {
      'webhook-id': id,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    });
  });

  it('verifies its own signatures, and refuses another body, secret, or an old timestamp', () => {
    const headers = signWebhook(secret, id, timestamp, body);
    const now = timestamp * 1000;
    assert.equal(verifyWebhook(secret, headers, body, { now }), true);
    assert.equal(
      verifyWebhook(
        secret,
        { ...headers, 'webhook-signature': `v1,bogus ${headers['webhook-signature']}` },
        body,
        { now },
      ),
      true,
    );
    assert.equal(verifyWebhook(secret, headers, `${body} `, { now }), false);
    assert.equal(verifyWebhook(newSigningSecret(), headers, body, { now }), false);
    assert.equal(verifyWebhook(secret, headers, body, { now: now + 301_000 }), false);
    assert.equal(verifyWebhook(secret, { ...headers, 'webhook-id': 'msg_other' }, body, { now }), false);
  });

  it('makes whsec_ secrets of 32 random bytes', () => {
    const a = newSigningSecret();
    assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, newSigningSecret());
  });
});
