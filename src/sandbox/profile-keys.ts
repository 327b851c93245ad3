/**
 * id_token keys of the Epic and SMART profiles: RS256 (SMART App Launch: "EHRs SHALL support
 * RS256" for ID tokens). Epic's kid is a Base64 (not Base64url) SHA-256 key thumbprint, as in a
 * published Epic id_token header; the SMART profile's is the RFC 7638 thumbprint itself.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningKey } from './keys.ts';

export type KidStyle = 'base64' | 'base64url';

export async function generateIdTokenKey(style: KidStyle): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: false });
  const exported = await exportJWK(publicKey);
  const thumbprint = await calculateJwkThumbprint(exported, 'sha256');
  const kid = style === 'base64' ? Buffer.from(thumbprint, 'base64url').toString('base64') : thumbprint;
  const publicJwk: JWK = { kty: 'RSA', n: exported.n, e: exported.e, kid, alg: 'RS256', use: 'sig' };
  return { kid, alg: 'RS256', privateKey, publicKey, publicJwk };
}
