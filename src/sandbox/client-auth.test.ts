import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type AssertionOptions,
  type ClientKey,
  clientKey,
  signAssertion,
  startJwksServer,
} from './client-keys-test-support.ts';
import type { RunningSandbox } from './index.ts';
import {
  CLIENT_ID,
  hostsTokenUrl,
  issueCode,
  jwtPart,
  plainTokenUrl,
  postForm,
  providerApp,
  REDIRECT_URI,
  startTestSandbox,
} from './test-support.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_URN = 'urn:cerner:error:authorization-server:oauth2:token:invalid-client-assertion';

function assertion(options: Omit<AssertionOptions, 'clientId'>): Promise<string> {
  return signAssertion({ clientId: CLIENT_ID, ...options });
}

describe('token endpoint with private_key_jwt (S5 client authentication b)', () => {
  let sandbox: RunningSandbox;
  let jwks: Awaited<ReturnType<typeof startJwksServer>>;
  let rs384: ClientKey;
  let es384: ClientKey;
  let rs256: ClientKey;
  let unpublished: ClientKey;

  before(async () => {
    [rs384, es384, rs256, unpublished] = await Promise.all([
      clientKey('RS384'),
      clientKey('ES384'),
      clientKey('RS256'),
      clientKey('RS384'),
    ]);
    jwks = await startJwksServer(() => [rs384.publicJwk, es384.publicJwk, rs256.publicJwk]);
    sandbox = await startTestSandbox({ apps: [providerApp({ secret: undefined, jwksUrl: jwks.url })] });
  });
  after(async () => {
    await sandbox.close();
    await jwks.close();
  });

  async function exchangeWith(
    code: string,
    verifier: string,
    clientAssertion: string,
    url = hostsTokenUrl(sandbox),
  ) {
    const response = await postForm(url, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_assertion_type: JWT_BEARER,
      client_assertion: clientAssertion,
    });
    return { response, body: (await response.json()) as Record<string, unknown> };
  }

  function assertRejected(result: { response: Response; body: Record<string, unknown> }) {
    assert.equal(result.response.status, 401);
    assert.equal(result.body.error, 'invalid_client');
    const errorUri = new URL(String(result.body.error_uri));
    assert.equal(errorUri.pathname.split('/')[2], encodeURIComponent(ASSERTION_URN));
  }

  it('accepts an RS384 assertion whose aud is the hosts/ token URL it was posted to', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const signed = await assertion({ key: rs384, aud: hostsTokenUrl(sandbox) });
    const { response, body } = await exchangeWith(code, verifier, signed);
    assert.equal(response.status, 200);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(jwtPart(String(body.access_token), 1).azp, CLIENT_ID);
  });

  it('accepts an ES384 assertion at the plain token URL with that URL as aud', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const signed = await assertion({ key: es384, aud: plainTokenUrl(sandbox) });
    const { response } = await exchangeWith(code, verifier, signed, plainTokenUrl(sandbox));
    assert.equal(response.status, 200);
  });

  it('rejects bad assertions with 401 without consuming the code', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const aud = hostsTokenUrl(sandbox);
    const bad: [string, Promise<string>][] = [
      ['aud is the other token URL variant', assertion({ key: rs384, aud: plainTokenUrl(sandbox) })],
      ['aud has a trailing slash', assertion({ key: rs384, aud: `${aud}/` })],
      ['alg RS256 is not advertised', assertion({ key: rs256, aud })],
      ['kid is not in the JWKS', assertion({ key: unpublished, aud })],
      ['no kid', assertion({ key: rs384, aud, header: { kid: undefined } })],
      ['iss differs from sub', assertion({ key: rs384, aud, claims: { sub: 'someone-else' } })],
      ['unknown iss', assertion({ key: rs384, aud, claims: { iss: 'nobody', sub: 'nobody' } })],
      ['exp more than 5 minutes ahead', assertion({ key: rs384, aud, expiresIn: 900 })],
      ['expired', assertion({ key: rs384, aud, expiresIn: -120 })],
      ['no jti', assertion({ key: rs384, aud, claims: { jti: undefined } })],
      [
        'jku differs from the registered URL',
        assertion({ key: rs384, aud, header: { jku: 'https://evil.example/jwks' } }),
      ],
    ];
    for (const [reason, signed] of bad) {
      const result = await exchangeWith(code, verifier, await signed);
      assert.equal(result.response.status, 401, reason);
      assertRejected(result);
    }
    // Flip a signature character in the middle (the last one may only carry padding bits).
    const [head, payload, signature = ''] = (await assertion({ key: rs384, aud })).split('.');
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === 'A' ? 'B' : 'A';
    const tampered = `${head}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    assertRejected(await exchangeWith(code, verifier, tampered));
    // None of the failures consumed the code.
    const ok = await exchangeWith(code, verifier, await assertion({ key: rs384, aud }));
    assert.equal(ok.response.status, 200);
  });

  it('rejects a reused jti', async () => {
    const first = await issueCode(sandbox);
    const signed = await assertion({ key: rs384, aud: hostsTokenUrl(sandbox) });
    assert.equal((await exchangeWith(first.code, first.verifier, signed)).response.status, 200);
    const second = await issueCode(sandbox);
    assertRejected(await exchangeWith(second.code, second.verifier, signed));
  });

  it('rejects a wrong client_assertion_type', async () => {
    const { code, verifier } = await issueCode(sandbox);
    const response = await postForm(hostsTokenUrl(sandbox), {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      client_assertion: await assertion({ key: rs384, aud: hostsTokenUrl(sandbox) }),
    });
    assert.equal(response.status, 401);
  });

  it('caches the JWKS and re-fetches it when an assertion names a new kid', async () => {
    const rotated = await clientKey('ES384');
    const published = [rs384.publicJwk];
    const rotatingJwks = await startJwksServer(() => published);
    const rotating = await startTestSandbox({
      apps: [providerApp({ secret: undefined, jwksUrl: rotatingJwks.url })],
    });
    const aud = hostsTokenUrl(rotating);
    async function exchangeSigned(key: ClientKey) {
      const { code, verifier } = await issueCode(rotating);
      return postForm(aud, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion({ key, aud }),
      });
    }
    try {
      assert.equal((await exchangeSigned(rs384)).status, 200);
      assert.equal((await exchangeSigned(rs384)).status, 200);
      assert.equal(rotatingJwks.hits(), 1, 'second use served from the cache');
      published.push(rotated.publicJwk);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the re-fetch cooldown
      assert.equal((await exchangeSigned(rotated)).status, 200);
      assert.equal(rotatingJwks.hits(), 2);
    } finally {
      await rotating.close();
      await rotatingJwks.close();
    }
  });

  it('treats an unreachable JWKS URL as invalid_client', async () => {
    const dead = await startJwksServer(() => []);
    await dead.close();
    const sandboxWithDeadJwks = await startTestSandbox({
      apps: [providerApp({ secret: undefined, jwksUrl: dead.url })],
      fetchTimeoutMs: 500,
    });
    try {
      const { code, verifier } = await issueCode(sandboxWithDeadJwks);
      const aud = hostsTokenUrl(sandboxWithDeadJwks);
      const response = await postForm(aud, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion({ key: rs384, aud }),
      });
      assert.equal(response.status, 401);
    } finally {
      await sandboxWithDeadJwks.close();
    }
  });
});
