/** The JWKS URL answers public members only: its schema serializes the body (schemas.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import { keysRoutes } from './routes.ts';
import type { KeyRing } from './signing-keys.ts';

describe('GET /api/auth/.well-known/jwks', () => {
  it('never sends a private member, even if one reached the key ring', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true });
    const leaked = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS384', use: 'sig' };
    assert.ok(leaked.d && leaked.p && leaked.q, 'the fixture does carry private members');
    const app = Fastify();
    keysRoutes(app, { jwks: { keys: [leaked] } } as unknown as KeyRing);
    const answer = await app.inject('/api/auth/.well-known/jwks');
    assert.equal(answer.statusCode, 200);
    const [key] = (JSON.parse(answer.body) as { keys: Record<string, unknown>[] }).keys;
    assert.deepEqual(Object.keys(key ?? {}).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(key?.n, leaked.n);
    assert.equal(answer.headers['cache-control'], 'public, max-age=300');
  });
});
