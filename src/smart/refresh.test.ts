import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createOutboundHttp } from '../http/outbound.ts';
import type { KeyRing } from '../keys/signing-keys.ts';
import type { SmartClient } from './client-authentication.ts';
import type { SmartConfiguration } from './discovery.ts';
import { RefreshError, refreshAccessToken } from './refresh.ts';

const TOKEN_ENDPOINT =
  'https://authorization.cerner.com/tenants/t1/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token';
const smart: SmartConfiguration = {
  issuer: 'https://authorization.cerner.com/tenants/t1',
  authorizationEndpoint:
    'https://authorization.cerner.com/tenants/t1/protocols/oauth2/profiles/smart-v1/personas/provider/authorize',
  tokenEndpoint: TOKEN_ENDPOINT,
  jwksUri: null,
  revocationEndpoint: null,
  tokenEndpointAuthMethods: ['client_secret_basic', 'private_key_jwt'],
  tokenEndpointAuthSigningAlgs: [],
  codeChallengeMethods: ['S256'],
  capabilities: [],
  scopesSupported: [],
  source: 'smart-configuration',
};
const client: SmartClient = {
  clientId: 'client-1',
  clientSecret: 's3cret',
  authMethod: 'client_secret_basic',
};
const noKeys = { jwks: { keys: [] }, signingKey: () => assert.fail('no key needed') } as unknown as KeyRing;

/** An EHR token endpoint in memory: records the request, answers with `answer`. */
function tokenEndpoint(answer: (form: URLSearchParams) => Response | Promise<Response>) {
  const calls: { url: string; form: URLSearchParams; headers: Headers }[] = [];
  const http = createOutboundHttp({
    timeoutMs: 1000,
    fetchImpl: async (url, init) => {
      const form = new URLSearchParams(String(init?.body));
      calls.push({ url: String(url), form, headers: new Headers(init?.headers) });
      return answer(form);
    },
  });
  return { http, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const refresh = (http: ReturnType<typeof createOutboundHttp>, keyRing = noKeys, authMethod = client) =>
  refreshAccessToken(
    { http, keyRing },
    {
      smart,
      client: authMethod,
      refreshToken: 'rt-1',
      policy: { allowLoopbackHttp: false },
      timeoutMs: 1000,
    },
  );

describe('token refresh (refresh_token grant, docs/cerner.md §7)', () => {
  it('Cerner: no new refresh token in the answer → null (keep the one held); client authenticates', async () => {
    const { http, calls } = tokenEndpoint(() =>
      json(200, {
        access_token: 'at-2',
        token_type: 'Bearer',
        expires_in: 570,
        scope: 'launch online_access',
      }),
    );
    const tokens = await refresh(http);
    assert.deepEqual(tokens, {
      accessToken: 'at-2',
      refreshToken: null,
      expiresIn: 570,
      scope: 'launch online_access',
    });
    const [call] = calls;
    assert.equal(call?.url, TOKEN_ENDPOINT);
    assert.equal(call?.form.get('grant_type'), 'refresh_token');
    assert.equal(call?.form.get('refresh_token'), 'rt-1');
    assert.equal(
      call?.headers.get('authorization'),
      `Basic ${Buffer.from('client-1:s3cret').toString('base64')}`,
    );
  });

  it('rotating servers: the new refresh token is returned to replace the old one', async () => {
    const { http } = tokenEndpoint(() =>
      json(200, { access_token: 'at-2', token_type: 'bearer', expires_in: 3600, refresh_token: 'rt-2' }),
    );
    assert.equal((await refresh(http)).refreshToken, 'rt-2');
  });

  it('private_key_jwt: a client assertion for the token endpoint', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS384', { extractable: true });
    const keyRing: KeyRing = {
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS384', use: 'sig' }] },
      signingKey: () => ({ kid: 'k1', alg: 'RS384', privateKey }),
    };
    const { http, calls } = tokenEndpoint(() => json(200, { access_token: 'at-2', token_type: 'Bearer' }));
    await refresh(http, keyRing, { clientId: 'client-1', clientSecret: null, authMethod: 'private_key_jwt' });
    const assertion = calls[0]?.form.get('client_assertion') as string;
    const { payload } = await jwtVerify(assertion, publicKey, { audience: TOKEN_ENDPOINT });
    assert.equal(payload.sub, 'client-1');
    assert.equal(calls[0]?.headers.get('authorization'), null);
  });

  it('accepts an id_token from Cerner’s OIDC issuer in the refresh answer', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const idToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://authorization.cerner.com/tenants/t1/oidc/idsps/t1/')
      .setAudience('client-1')
      .setSubject('portal')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    const { http } = tokenEndpoint(() =>
      json(200, { access_token: 'at-2', token_type: 'Bearer', expires_in: 570, id_token: idToken }),
    );
    assert.equal((await refresh(http)).accessToken, 'at-2');
  });

  it('a refreshed id_token without aud (or otherwise bad) is set aside: the new access token is kept (issue 15)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const signed = (aud: string | null) => {
      const jwt = new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer('https://authorization.cerner.com/tenants/t1/oidc/idsps/t1/')
        .setSubject('portal')
        .setIssuedAt()
        .setExpirationTime('10m');
      if (aud) jwt.setAudience(aud);
      return jwt.sign(privateKey);
    };
    const cases = [
      { idToken: await signed(null), ignored: 'id_token has no aud' },
      { idToken: await signed('another-client'), ignored: 'id_token is for another audience' },
      { idToken: 'not-a-jwt', ignored: 'id_token is not a JWT' },
      { idToken: await signed('client-1'), ignored: undefined },
    ];
    for (const { idToken, ignored } of cases) {
      const { http } = tokenEndpoint(() =>
        json(200, { access_token: 'at-3', token_type: 'Bearer', expires_in: 570, id_token: idToken }),
      );
      const tokens = await refresh(http);
      assert.equal(tokens.accessToken, 'at-3');
      assert.equal(tokens.expiresIn, 570);
      assert.equal(tokens.ignoredIdToken, ignored);
    }
  });

  it('an OAuth refusal is permanent and keeps the EHR’s error and error_uri', async () => {
    const errorUri =
      'https://authorization.cerner.com/errors/urn%3Acerner%3Aerror%3Aauthorization-server%3Aoauth2%3Atoken%3Arefresh-token%3Asession-invalid/instances/1?client=client-1&tenant=t1';
    const { http } = tokenEndpoint(() => json(400, { error: 'invalid_grant', error_uri: errorUri }));
    const error = await refresh(http).then(
      () => assert.fail('refresh succeeded'),
      (thrown: unknown) => thrown,
    );
    assert.ok(error instanceof RefreshError);
    assert.equal(error.permanent, true);
    assert.equal(error.ehrError, 'invalid_grant');
    assert.equal(error.ehrErrorUri, errorUri);
    assert.equal(error.sessionEnded, true, 'Cerner’s session-invalid URN: the online session ended');
  });

  it('a revoked token (token-invalid) is permanent but not an ended session', async () => {
    const { http } = tokenEndpoint(() =>
      json(400, {
        error: 'invalid_grant',
        error_uri:
          'https://a.example/errors/urn%3Acerner%3Aerror%3Aauthorization-server%3Aoauth2%3Atoken%3Arefresh-token%3Atoken-invalid/instances/1',
      }),
    );
    await assert.rejects(refresh(http), (error: RefreshError) => error.permanent && !error.sessionEnded);
  });

  it('server errors, malformed answers and timeouts are transient', async () => {
    const answers = [
      () => json(500, { error: 'server_error' }),
      () => json(503, { error: 'temporarily_unavailable' }),
      () => new Response('<html>bad gateway</html>', { status: 502 }),
      () =>
        new Response('{"access_token":', { status: 200, headers: { 'content-type': 'application/json' } }),
      () => json(200, { token_type: 'Bearer' }),
    ];
    for (const answer of answers) {
      const { http } = tokenEndpoint(answer);
      await assert.rejects(
        refresh(http),
        (error: RefreshError) => error instanceof RefreshError && !error.permanent,
      );
    }
    const hanging = createOutboundHttp({
      timeoutMs: 50,
      fetchImpl: (_url, init) =>
        new Promise((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        ),
    });
    // AbortSignal.timeout does not keep the event loop alive; a server would.
    const keepAlive = setTimeout(() => {}, 1000);
    await assert.rejects(
      refreshAccessToken(
        { http: hanging, keyRing: noKeys },
        { smart, client, refreshToken: 'rt-1', policy: { allowLoopbackHttp: false }, timeoutMs: 50 },
      ),
      (error: RefreshError) => !error.permanent && /unreachable/.test(error.reason),
    );
    clearTimeout(keepAlive);
  });
});
