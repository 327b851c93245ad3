/**
 * Sealing secrets and tokens at rest: AES-256-GCM under the master key.
 *
 * Envelope: `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id is a short
 * fingerprint of the master key so a later key rotation can tell old envelopes apart. The
 * caller passes a `context` (for example `ehr_launch.access_token:<launch id>`) that is bound as
 * additional authenticated data: a sealed value copied into another row or column will not open.
 */
import { createCipheriv, createDecipheriv, createHash, createSecretKey } from 'node:crypto';
import { pooledRandomBytes } from './random.ts';

const VERSION = 'v1';

export interface Sealer {
  seal(plaintext: string, context: string): string;
  open(envelope: string, context: string): string;
}

export class SealError extends Error {
  override readonly name = 'SealError';
}

export function createSealer(masterKey: Buffer): Sealer {
  if (masterKey.length !== 32) throw new SealError('master key must be 32 bytes');
  const keyId = createHash('sha256').update(masterKey).digest('base64url').slice(0, 8);
  // Imported once: a raw Buffer key is imported again on every cipher.
  const key = createSecretKey(masterKey);

  return {
    seal(plaintext, context) {
      const iv = pooledRandomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        VERSION,
        keyId,
        iv.toString('base64url'),
        tag.toString('base64url'),
        ciphertext.toString('base64url'),
      ].join('.');
    },
    open(envelope, context) {
      const parts = envelope.split('.');
      if (parts.length !== 5 || parts[0] !== VERSION) throw new SealError('not a sealed value');
      const [, envelopeKeyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
      if (envelopeKeyId !== keyId) throw new SealError('sealed under a different master key');
      try {
        // The full 16-byte tag only: GCM would otherwise check a tag cut to 4 bytes, and a sealed
        // value that comes from outside (the CDS FHIR token) could then be forged by trying.
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
          authTagLength: 16,
        });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(ciphertext, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SealError('sealed value failed authentication');
      }
    },
  };
}
