/**
 * The benchmark's EHR stub refuses what a real EHR refuses, so no subject can pass the
 * benchmark with a sloppy launch (a client secret or a JWT client assertion); and it reports its
 * own time for the driver to subtract.
 * Run: bash scripts/test.sh bench/launch/*.test.ts
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose';
import { stop } from '../support/processes.ts';
import { JWT_BEARER, signAssertion } from './assertion.ts';
import { type Client, newClient, startEhrStub } from './subjects.ts';

const BASELINE_PORT = 1; // only appears in the registered redirect URIs
const redirectUri = `http://127.0.0.1:${BASELINE_PORT}/callback`;
const verifier = 'v'.repeat(43);
const challenge = createHash('sha256').update(verifier).digest('base64url');

describe('bench EHR stub', () => {
  let client: Client;
  let stub: { child: ChildProcess; origin: string; iss: string };

  before(async () => {
    client = newClient();
    stub = await startEhrStub(client, BASELINE_PORT);
  });
  after(() => stop(stub.child));

  const authorizeUrl = (overrides: Record<string, string> = {}) => {
    const params = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      scope: client.scope,
      state: 'state-1',
      aud: stub.iss,
      launch: 'launch-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });
    return `${stub.origin}/authorize?${params}`;
  };
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  const authorize = async (overrides: Record<string, string> = {}) => {
    const response = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
    await response.body?.cancel();
    return response;
  };
  const codeFrom = async (launch: string) => {
    const response = await authorize({ launch });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') as string);
    assert.equal(`${location.origin}${location.pathname}`, redirectUri);
    assert.equal(location.searchParams.get('state'), 'state-1');
    return location.searchParams.get('code') as string;
  };
  const token = (form: Record<string, string>, authorization = basic(client.clientId, client.clientSecret)) =>
    fetch(`${stub.origin}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: redirectUri, ...form }),
    });

  it('advertises SMART endpoints with S256, client_secret_basic and private_key_jwt', async () => {
    const response = await fetch(`${stub.iss}/.well-known/smart-configuration`);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.authorization_endpoint, `${stub.origin}/authorize`);
    assert.equal(body.token_endpoint, `${stub.origin}/token`);
    assert.equal(body.jwks_uri, `${stub.origin}/jwks`);
    assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt']);
    assert.deepEqual(body.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.ok((body.capabilities as string[]).includes('client-confidential-asymmetric'));
    assert.match(response.headers.get('server-timing') ?? '', /^ehr;dur=\d+\.\d{3}$/);
  });

  it('refuses an authorize request with a wrong aud, client, redirect URI or challenge method', async () => {
    const refused: Array<Record<string, string>> = [
      { aud: `${stub.iss}/` },
      { client_id: 'someone-else' },
      { redirect_uri: 'https://evil.example/callback' },
      { code_challenge_method: 'plain' },
      { launch: '' },
    ];
    for (const overrides of refused) {
      const response = await authorize(overrides);
      assert.equal(response.status, 400, JSON.stringify(overrides));
      assert.equal(response.headers.get('location'), null);
    }
  });

  it('exchanges a code once, checking the secret and the PKCE verifier, for a verifiable id_token', async () => {
    assert.equal(
      (
        await token(
          { code: await codeFrom('l-secret'), code_verifier: verifier },
          basic(client.clientId, 'wrong'),
        )
      ).status,
      401,
    );
    assert.equal(
      (await token({ code: await codeFrom('l-pkce'), code_verifier: 'w'.repeat(43) })).status,
      400,
    );

    const code = await codeFrom('l-good');
    const issuedFrom = Math.floor(Date.now() / 1000);
    const response = await token({ code, code_verifier: verifier });
    const issuedBy = Math.floor(Date.now() / 1000);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, string>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, client.scope);
    assert.ok(body.access_token && body.refresh_token && body.patient && body.encounter);
    const { payload } = await jwtVerify(
      body.id_token as string,
      createRemoteJWKSet(new URL(`${stub.origin}/jwks`)),
      {
        issuer: stub.origin,
        audience: client.clientId,
        algorithms: ['RS256'],
      },
    );
    assert.match(String(payload.fhirUser), /^http:\/\/127\.0\.0\.1:\d+\/fhir\/Practitioner\/\d+$/);
    assert.equal(payload.fhirUser, `${stub.iss}/Practitioner/${payload.sub}`);
    const iat = payload.iat as number;
    assert.ok(iat >= issuedFrom && iat <= issuedBy, `iat ${iat} outside ${issuedFrom}…${issuedBy}`);
    assert.equal(payload.exp, iat + 600);

    const again = await token({ code, code_verifier: verifier });
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
  });

  it('reuses an id_token only within the second it was signed in', async () => {
    const idTokenOf = async (launch: string) => {
      const response = await token({ code: await codeFrom(launch), code_verifier: verifier });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { id_token: string; access_token: string };
      return { ...body, iat: decodeJwt(body.id_token).iat as number };
    };
    const first = await idTokenOf('l-reuse-1');
    const second = await idTokenOf('l-reuse-2');
    assert.notEqual(first.access_token, second.access_token);
    assert.equal(first.id_token === second.id_token, first.iat === second.iat);
    // Into the next second: a new id_token with that second's iat.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
    const later = await idTokenOf('l-reuse-3');
    assert.ok(later.iat > first.iat);
    assert.notEqual(later.id_token, first.id_token);
  });

  describe('private_key_jwt', () => {
    let key: KeyObject;
    const tokenUrl = () => `${stub.origin}/token`;
    const withAssertion = async (launch: string, assertion: string) => {
      const response = await fetch(tokenUrl(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          redirect_uri: redirectUri,
          code: await codeFrom(launch),
          code_verifier: verifier,
          client_assertion_type: JWT_BEARER,
          client_assertion: assertion,
        }),
      });
      const body = (await response.json()) as { error?: string; access_token?: string };
      return { status: response.status, body };
    };
    const crafted = (
      claims: Record<string, unknown>,
      options: { kid?: string; signWith?: KeyObject } = {},
    ) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: client.clientId,
        sub: client.clientId,
        aud: tokenUrl(),
        jti: randomUUID(),
        exp: now + 120,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS384', typ: 'JWT', kid: options.kid ?? client.privateJwk.kid })
        .sign(options.signWith ?? key);
    };
    before(() => {
      key = createPrivateKey({ key: client.privateJwk, format: 'jwk' });
    });

    it('accepts an assertion signed with a key registered for the client, once', async () => {
      const assertion = signAssertion(key, client.privateJwk.kid, client.clientId, tokenUrl());
      const first = await withAssertion('l-jwt-1', assertion);
      assert.equal(first.status, 200);
      assert.ok(first.body.access_token);
      const replayed = await withAssertion('l-jwt-2', assertion);
      assert.deepEqual(replayed, { status: 401, body: { error: 'invalid_client' } });
    });

    it('refuses a wrong aud, iss, sub or exp, an unknown kid and a signature by another key', async () => {
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const now = Math.floor(Date.now() / 1000);
      const refused = [
        await crafted({ aud: `${stub.origin}/authorize` }),
        await crafted({ iss: 'someone-else' }),
        await crafted({ sub: 'someone-else' }),
        await crafted({ exp: now - 120 }),
        await crafted({ exp: now + 3600 }),
        await crafted({ jti: undefined }),
        await crafted({}, { kid: 'not-registered' }),
        await crafted({}, { signWith: other }),
        'not.a.jwt',
      ];
      for (const [i, assertion] of refused.entries()) {
        const answer = await withAssertion(`l-jwt-refused-${i}`, assertion);
        assert.deepEqual(answer, { status: 401, body: { error: 'invalid_client' } }, `assertion ${i}`);
      }
      assert.equal((await withAssertion('l-jwt-fine', await crafted({}))).status, 200);
    });

    it('accepts the gateway’s keys once they are posted to /_bench/client-keys', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = 'gateway-key';
      const assertion = signAssertion(privateKey, kid, client.clientId, tokenUrl());
      assert.equal((await withAssertion('l-gw-before', assertion)).status, 401);
      const posted = await fetch(`${stub.origin}/_bench/client-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS384' }] }),
      });
      assert.equal(posted.status, 204);
      const again = signAssertion(privateKey, kid, client.clientId, tokenUrl());
      assert.equal((await withAssertion('l-gw-after', again)).status, 200);
    });
  });

  it('keeps the token endpoint’s time per launch until the driver drains it', async () => {
    await fetch(`${stub.origin}/_bench/timings`).then((response) => response.json());
    const response = await token({ code: await codeFrom('l-timed'), code_verifier: verifier });
    await response.body?.cancel();
    const timings = (await (await fetch(`${stub.origin}/_bench/timings`)).json()) as {
      token: Record<string, number>;
    };
    assert.deepEqual(Object.keys(timings.token), ['l-timed']);
    assert.ok((timings.token['l-timed'] as number) > 0);
    const drained = (await (await fetch(`${stub.origin}/_bench/timings`)).json()) as { token: object };
    assert.deepEqual(drained.token, {});
  });
});
