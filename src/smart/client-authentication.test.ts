import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import type { KeyRing } from '../keys/signing-keys.ts';
import { clientAuthentication, MissingClientSecretError } from './client-authentication.ts';

const tokenEndpoint =
  'https://authorization.example/tenants/t/hosts/fhir.example/protocols/oauth2/profiles/smart-v1/token';
const as = { issuer: 'https://authorization.example/tenants/t', token_endpoint: tokenEndpoint };

async function testKeyRing() {
  const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
  const keyRing: KeyRing = {
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'kid-1', alg: 'RS384', use: 'sig' }] },
    signingKey: () => ({ kid: 'kid-1', alg: 'RS384', privateKey }),
  };
  return { keyRing, publicKey };
}

async function authenticate(auth: ReturnType<typeof clientAuthentication>) {
  const body = new URLSearchParams();
  const headers = new Headers();
  await auth(as, { client_id: 'client-1' }, body, headers);
  return { body, headers };
}

describe('client authentication at the token endpoint', () => {
  it('private_key_jwt: SMART asymmetric assertion claims and header', async () => {
    const { keyRing, publicKey } = await testKeyRing();
    const auth = clientAuthentication(
      { clientId: 'client-1', clientSecret: null, authMethod: 'private_key_jwt' },
      keyRing,
      tokenEndpoint,
    );
    const first = await authenticate(auth);
    assert.equal(
      first.body.get('client_assertion_type'),
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const assertion = first.body.get('client_assertion') as string;
    const header = decodeProtectedHeader(assertion);
    assert.deepEqual(
      { alg: header.alg, typ: header.typ, kid: header.kid },
      { alg: 'RS384', typ: 'JWT', kid: 'kid-1' },
    );
    const { payload } = await jwtVerify(assertion, publicKey, { audience: tokenEndpoint });
    assert.equal(payload.iss, 'client-1');
    assert.equal(payload.sub, 'client-1');
    assert.equal(payload.aud, tokenEndpoint, 'aud is the token endpoint URL, not the issuer');
    assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16);
    const lifetime = (payload.exp as number) - (payload.iat as number);
    assert.ok(lifetime > 0 && lifetime <= 300, `exp at most five minutes ahead (got ${lifetime}s)`);
    assert.equal(first.headers.get('authorization'), null);

    const second = await authenticate(auth);
    const secondPayload = (await jwtVerify(second.body.get('client_assertion') as string, publicKey)).payload;
    assert.notEqual(secondPayload.jti, payload.jti, 'every assertion has a new jti');
  });

  it('private_key_jwt: ES384 when the connection or the EHR wants it, and jku when asked (issue 15)', async () => {
    const rs = await generateKeyPair('RS384', { extractable: true });
    const es = await generateKeyPair('ES384', { extractable: true });
    const keyRing: KeyRing = {
      jwks: { keys: [] },
      signingKey: (alg) =>
        alg === 'ES384'
          ? { kid: 'es-1', alg, privateKey: es.privateKey }
          : { kid: 'rs-1', alg, privateKey: rs.privateKey },
    };
    const pkjwt = { clientId: 'client-1', clientSecret: null, authMethod: 'private_key_jwt' } as const;
    const headerOf = async (auth: ReturnType<typeof clientAuthentication>) =>
      decodeProtectedHeader((await authenticate(auth)).body.get('client_assertion') as string);

    const chosen = await authenticate(
      clientAuthentication({ ...pkjwt, signingAlg: 'ES384' }, keyRing, tokenEndpoint, ['RS384', 'ES384']),
    );
    const assertion = chosen.body.get('client_assertion') as string;
    assert.deepEqual(decodeProtectedHeader(assertion), { alg: 'ES384', kid: 'es-1', typ: 'JWT' });
    await jwtVerify(assertion, es.publicKey, { audience: tokenEndpoint, algorithms: ['ES384'] });

    assert.equal(
      (await headerOf(clientAuthentication(pkjwt, keyRing, tokenEndpoint, ['ES384']))).alg,
      'ES384',
    );
    assert.equal(
      (await headerOf(clientAuthentication(pkjwt, keyRing, tokenEndpoint, ['RS384', 'ES384']))).alg,
      'RS384',
    );
    const withJku = await headerOf(
      clientAuthentication(
        { ...pkjwt, jku: 'https://gw.example/api/auth/.well-known/jwks' },
        keyRing,
        tokenEndpoint,
      ),
    );
    assert.equal(withJku.jku, 'https://gw.example/api/auth/.well-known/jwks');
    assert.equal(withJku.alg, 'RS384');
  });

  it('client_secret_basic: RFC 6749 form-encoded id and secret in the Basic header', async () => {
    const { keyRing } = await testKeyRing();
    const auth = clientAuthentication(
      { clientId: 'client-1', clientSecret: 'a+b/c=', authMethod: 'client_secret_basic' },
      keyRing,
      tokenEndpoint,
    );
    const { body, headers } = await authenticate(auth);
    assert.equal(
      headers.get('authorization'),
      `Basic ${Buffer.from('client-1:a%2Bb%2Fc%3D').toString('base64')}`,
    );
    assert.equal(body.get('client_secret'), null, 'the secret never goes in the body');
  });

  it('client_secret_basic without a secret is refused before any request', async () => {
    const { keyRing } = await testKeyRing();
    assert.throws(
      () =>
        clientAuthentication(
          { clientId: 'c', clientSecret: null, authMethod: 'client_secret_basic' },
          keyRing,
          tokenEndpoint,
        ),
      MissingClientSecretError,
    );
  });
});
