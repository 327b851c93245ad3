import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type KeysFor, verifyJwt } from '../crypto/jwt-verify.ts';
import { NO_ADDRESS_RANGES, parseAddressRanges } from '../http/address-ranges.ts';
import { createOutboundHttp } from '../http/outbound.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import { createJwksCache } from './jwks-cache.ts';

async function key(kid: string) {
  const pair = await generateKeyPair('RS256');
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid } as JWK };
}

describe('remote JWKS cache', async () => {
  const a = await key('a');
  const b = await key('b');
  let published: JWK[] = [a.jwk];
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwk`;
  const http = createOutboundHttp({ timeoutMs: 2000 });
  const sandbox = urlPolicyFor({ environment: 'sandbox' }, NO_ADDRESS_RANGES);
  const verify = (token: string, keys: KeysFor) =>
    verifyJwt(token, keys, { algorithms: ['RS256'], clockToleranceSeconds: 0 });
  const sign = (k: typeof a) =>
    new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: k.kid }).sign(k.privateKey);

  it('fetches once and reuses the keys', async () => {
    const cache = createJwksCache(http);
    fetches = 0;
    await verify(await sign(a), cache.keysFor(url, sandbox));
    await verify(await sign(a), cache.keysFor(url, sandbox));
    assert.equal(fetches, 1);
  });

  it('refetches once on an unknown kid (rotation) and then verifies', async () => {
    const cache = createJwksCache(http, { cooldownMs: 0 });
    fetches = 0;
    await verify(await sign(a), cache.keysFor(url, sandbox));
    published = [a.jwk, b.jwk];
    await verify(await sign(b), cache.keysFor(url, sandbox));
    assert.equal(fetches, 2);
    published = [a.jwk];
  });

  it('does not refetch within the cooldown, so unknown kids fail fast', async () => {
    const cache = createJwksCache(http, { cooldownMs: 60_000 });
    fetches = 0;
    await verify(await sign(a), cache.keysFor(url, sandbox));
    await assert.rejects(verify(await sign(b), cache.keysFor(url, sandbox)), /no key matches/);
    assert.equal(fetches, 1);
  });

  it('fetches under the caller’s policy: a production one refuses the loopback set unless its range is allowed', async () => {
    const cache = createJwksCache(http);
    fetches = 0;
    const refused = (error: unknown) => (error as { code?: string }).code === 'ehr_endpoint_not_allowed';
    const production = urlPolicyFor({ environment: 'production' }, NO_ADDRESS_RANGES);
    const https = url.replace('http:', 'https:');
    await assert.rejects(verify(await sign(a), cache.keysFor(url, production)), refused);
    await assert.rejects(verify(await sign(a), cache.keysFor(https, production)), refused);
    // Allowed, the https call goes out (and fails the TLS handshake with this plain-http server);
    // plain http stays refused.
    const allowed = urlPolicyFor({ environment: 'production' }, parseAddressRanges('127.0.0.0/8'));
    await assert.rejects(verify(await sign(a), cache.keysFor(https, allowed)), /could not reach/);
    await assert.rejects(verify(await sign(a), cache.keysFor(url, allowed)), /must use https/);
    assert.equal(fetches, 0, 'no key set was served');
  });
});
