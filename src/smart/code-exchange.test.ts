/**
 * The code exchange against a small local token endpoint that answers what each case needs:
 * the id_token checks (signature against the EHR's JWKS, aud = client_id, expiry, trusted
 * issuer) and the token-response checks (Bearer, scope as granted, SMART context fields).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createOutboundHttp } from '../http/outbound.ts';
import type { KeyRing } from '../keys/signing-keys.ts';
import { exchangeCode, TokenExchangeError } from './code-exchange.ts';
import type { SmartConfiguration } from './discovery.ts';
import { createJwksCache } from './jwks-cache.ts';

type Answer = { status?: number; body: unknown; headers?: Record<string, string> };
type Received = { method?: string; headers: Record<string, unknown>; body: string };
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

describe('authorization-code exchange', () => {
  let origin: string;
  let answer: Answer;
  let published: JWK[];
  let ehrKey: Awaited<ReturnType<typeof generateKeyPair>>;
  let strangerKey: Awaited<ReturnType<typeof generateKeyPair>>;
  let received: Received | undefined;
  const server = createServer(async (request, response) => {
    if (request.url === '/jwk') {
      response.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: published }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received = { method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() };
    response.statusCode = answer.status ?? 200;
    response.setHeader('content-type', 'application/json');
    for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
    response.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  });

  before(async () => {
    ehrKey = await generateKeyPair('RS256');
    strangerKey = await generateKeyPair('RS256');
    published = [{ ...(await exportJWK(ehrKey.publicKey)), kid: 'ehr-1' }];
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  const smart = (): SmartConfiguration => ({
    issuer: `${origin}/tenants/t`,
    authorizationEndpoint: `${origin}/tenants/t/authorize`,
    tokenEndpoint: `${origin}/tenants/t/token`,
    jwksUri: `${origin}/jwk`,
    revocationEndpoint: null,
    tokenEndpointAuthMethods: [],
    tokenEndpointAuthSigningAlgs: [],
    codeChallengeMethods: ['S256'],
    capabilities: [],
    scopesSupported: [],
    source: 'smart-configuration',
  });

  function idToken(
    overrides: { aud?: string; iss?: string; exp?: number; key?: PrivateKey; kid?: string } = {},
  ) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ fhirUser: `${origin}/r4/t/Practitioner/12742069`, name: 'Portal, Portal' })
      .setProtectedHeader({ alg: 'RS256', kid: overrides.kid ?? 'ehr-1' })
      .setSubject('portal')
      .setAudience(overrides.aud ?? 'client-1')
      .setIssuer(overrides.iss ?? `${origin}/tenants/t/oidc/idsps/t/`)
      .setIssuedAt(now)
      .setExpirationTime(overrides.exp ?? now + 600)
      .sign(overrides.key ?? ehrKey.privateKey);
  }

  async function tokenResponse(overrides: Record<string, unknown> = {}) {
    return {
      access_token: 'at-123',
      token_type: 'Bearer',
      expires_in: 570,
      scope: 'launch openid fhirUser user/Patient.read',
      patient: '12724066',
      encounter: '97953477',
      need_patient_banner: 'false',
      smart_style_url: `${origin}/styles/smart-v1.json`,
      tenant: 't',
      refresh_token: 'rt-1',
      id_token: await idToken(),
      ...overrides,
    };
  }

  async function exchange() {
    const http = createOutboundHttp({ timeoutMs: 2000 });
    const keyRing = {
      jwks: { keys: [] },
      signingKey: () => assert.fail('no signing for client_secret_basic'),
    } as unknown as KeyRing;
    return exchangeCode(
      { http, keyRing, jwks: createJwksCache(http, { cooldownMs: 60_000 }) },
      {
        smart: smart(),
        client: { clientId: 'client-1', clientSecret: 'secret', authMethod: 'client_secret_basic' },
        callbackUrl: new URL('https://gw.example/api/auth/smart/launch-callback?code=abc&state=xyz'),
        redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
        codeVerifier: 'v'.repeat(43),
        policy: { allowLoopbackHttp: true },
      },
    );
  }

  async function assertRefused(reason: RegExp) {
    await assert.rejects(exchange(), (error: unknown) => {
      assert.ok(error instanceof TokenExchangeError, String(error));
      assert.match(`${error.message} ${String((error.cause as Error | undefined)?.message)}`, reason);
      return true;
    });
  }

  it('maps the SMART context and verifies the id_token (issuer differs from the advertised one, as at Cerner)', async () => {
    answer = { body: await tokenResponse() };
    const tokens = await exchange();
    assert.equal(tokens.accessToken, 'at-123');
    assert.equal(tokens.refreshToken, 'rt-1');
    assert.equal(tokens.expiresIn, 570);
    assert.equal(tokens.scope, 'launch openid fhirUser user/Patient.read', 'scope as granted');
    assert.equal(tokens.patient, '12724066');
    assert.equal(tokens.encounter, '97953477');
    assert.equal(tokens.needPatientBanner, false, 'Epic-style "false" string read as a boolean');
    assert.equal(tokens.tenant, 't');
    assert.equal(tokens.fhirUser, `${origin}/r4/t/Practitioner/12742069`);
    assert.equal(tokens.idTokenClaims?.sub, 'portal');
  });

  it('sends the token request the EHR expects: POST, client_secret_basic, the form with the PKCE verifier', async () => {
    answer = { body: await tokenResponse() };
    await exchange();
    assert.equal(received?.method, 'POST');
    assert.equal(
      received?.headers.authorization,
      `Basic ${Buffer.from('client-1:secret').toString('base64')}`,
    );
    assert.match(String(received?.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(received?.body);
    assert.equal(form.get('grant_type'), 'authorization_code');
    assert.equal(form.get('code'), 'abc');
    assert.equal(form.get('redirect_uri'), 'https://gw.example/api/auth/smart/launch-callback');
    assert.equal(form.get('code_verifier'), 'v'.repeat(43));
  });

  it('refuses a token endpoint that redirects, and an answer too large to be a token response', async () => {
    answer = { status: 302, body: '', headers: { location: 'https://elsewhere.example/token' } };
    await assertRefused(/token request failed.*redirect/);
    answer = { body: JSON.stringify({ ...(await tokenResponse()), padding: 'x'.repeat(1_100_000) }) };
    await assertRefused(/too large/);
  });

  it('refuses an id_token for another client (aud)', async () => {
    answer = { body: await tokenResponse({ id_token: await idToken({ aud: 'someone-else' }) }) };
    await assertRefused(/aud/);
  });

  it('refuses an expired id_token', async () => {
    answer = {
      body: await tokenResponse({ id_token: await idToken({ exp: Math.floor(Date.now() / 1000) - 3600 }) }),
    };
    await assertRefused(/exp|expired|timestamp/i);
  });

  it('refuses an id_token from an issuer on another origin', async () => {
    answer = { body: await tokenResponse({ id_token: await idToken({ iss: 'https://evil.example/' }) }) };
    await assertRefused(/iss/);
  });

  it('refuses an id_token signed by a key the EHR does not publish', async () => {
    const forged = await idToken({ key: strangerKey.privateKey, kid: 'ehr-1' });
    answer = { body: await tokenResponse({ id_token: forged }) };
    await assertRefused(/signature/);
  });

  it('refuses a token type other than Bearer, and a response without access_token', async () => {
    answer = { body: await tokenResponse({ token_type: 'DPoP' }) };
    await assertRefused(/token_type/);
    answer = { body: await tokenResponse({ access_token: undefined }) };
    await assertRefused(/access_token/);
  });

  it('reports the EHR’s OAuth error', async () => {
    answer = { status: 400, body: { error: 'invalid_grant', error_uri: 'https://ehr.example/errors/x' } };
    await assertRefused(/invalid_grant/);
  });
});
