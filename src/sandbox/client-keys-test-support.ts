/**
 * Test helpers for client assertions (`private_key_jwt`): client key pairs, a tiny JWKS host
 * standing in for the gateway's `/api/auth/.well-known/jwks`, and signed assertions.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface ClientKey {
  kid: string;
  alg: 'RS384' | 'ES384' | 'RS256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function clientKey(alg: ClientKey['alg']): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const kid = `client-${alg}-${randomUUID()}`;
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid } };
}

export interface JwksServer {
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}

/** Serves `{keys: keys()}` at `/api/auth/.well-known/jwks` and counts the requests. */
export async function startJwksServer(keys: () => JWK[]): Promise<JwksServer> {
  let hits = 0;
  const server: Server = createServer((_request, response) => {
    hits += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: keys() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/auth/.well-known/jwks`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface AssertionOptions {
  key: ClientKey;
  clientId: string;
  aud: string;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  expiresIn?: number;
}

/** A client assertion: iss = sub = the client id, a fresh jti, alg and kid of the key. */
export async function signAssertion({
  key,
  clientId,
  aud,
  claims = {},
  header = {},
  expiresIn = 240,
}: AssertionOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: clientId,
    sub: clientId,
    aud,
    jti: randomUUID(),
    exp: now + expiresIn,
    iat: now,
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}
