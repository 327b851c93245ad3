import { pooledRandomBytes } from '../crypto/random.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Prefixed random ids (`org_…`, `fhirsrc_…`), 22 base62 characters ≈ 131 bits. */
export function newId(prefix: 'org' | 'fhirsrc' | 'conn' | 'acct' | 'key' | 'op'): string {
  const bytes = pooledRandomBytes(22);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return `${prefix}_${out}`;
}
