import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

/**
 * CSPRNG bytes taken from a buffer refilled 4 KiB at a time (as node:crypto's own randomUUID
 * does): one call into OpenSSL per ~100 launches instead of six per launch. Each byte is handed
 * out once; the caller gets its own copy.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_SIZE / 4) return randomFillSync(Buffer.alloc(size));
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  // Handed out bytes are wiped in the pool, so a later bug cannot give them out again.
  pool.fill(0, poolOffset, poolOffset + size);
  poolOffset += size;
  return bytes;
}

/** `bytes` of CSPRNG output as base64url (16 bytes = 128 bits). */
export function randomToken(bytes = 32): string {
  return pooledRandomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string equality (lengths are compared first; hashes have fixed length). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
