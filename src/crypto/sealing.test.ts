import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSealer, SealError } from './sealing.ts';

describe('sealing secrets at rest (AES-256-GCM)', () => {
  const sealer = createSealer(randomBytes(32));

  it('round-trips a value and never contains the plaintext', () => {
    const envelope = sealer.seal('eyJ-access-token', 'ehr_launch.access_token:1');
    assert.match(envelope, /^v1\.[\w-]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(!envelope.includes('eyJ-access-token'));
    assert.equal(sealer.open(envelope, 'ehr_launch.access_token:1'), 'eyJ-access-token');
  });

  it('uses a fresh IV each time', () => {
    assert.notEqual(sealer.seal('same', 'c'), sealer.seal('same', 'c'));
  });

  it('refuses a value moved to another row or column (context is authenticated)', () => {
    const envelope = sealer.seal('token', 'ehr_launch.access_token:1');
    assert.throws(() => sealer.open(envelope, 'ehr_launch.access_token:2'), SealError);
    assert.throws(() => sealer.open(envelope, 'ehr_launch.refresh_token:1'), SealError);
  });

  it('refuses a tampered ciphertext', () => {
    const parts = sealer.seal('token', 'c').split('.');
    const ciphertext = Buffer.from(parts[4] as string, 'base64url');
    ciphertext[0] = (ciphertext[0] as number) ^ 1;
    parts[4] = ciphertext.toString('base64url');
    assert.throws(() => sealer.open(parts.join('.'), 'c'), /failed authentication/);
  });

  it('refuses a tag cut short, even the right tag’s first bytes (GCM would check only those)', () => {
    const parts = sealer.seal('token', 'c').split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const cut = [...parts];
      cut[3] = Buffer.from(parts[3] as string, 'base64url')
        .subarray(0, bytes)
        .toString('base64url');
      assert.throws(() => sealer.open(cut.join('.'), 'c'), /failed authentication/, `${bytes}-byte tag`);
    }
  });

  it('refuses a value sealed under another master key', () => {
    const other = createSealer(randomBytes(32));
    assert.throws(() => sealer.open(other.seal('token', 'c'), 'c'), /different master key/);
  });

  it('rejects a master key of the wrong size', () => {
    assert.throws(() => createSealer(randomBytes(16)), SealError);
  });
});
