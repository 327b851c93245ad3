import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JWT_BEARER } from './client-assertion.ts';
import {
  type ClientKey,
  clientKey,
  type JwksServer,
  signAssertion,
  startJwksServer,
} from './client-keys-test-support.ts';
import type { RunningSandbox } from './index.ts';
import {
  authorizeCode,
  discovered,
  EPIC_NONPROD_CLIENT_ID,
  EPIC_PROD_CLIENT_ID,
  epicApp,
  launchApp,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  SMART_CLIENT_ID,
  smartApp,
  startProfileSandbox,
} from './profile-test-support.ts';
import { postForm } from './test-support.ts';

interface Endpoints {
  authorize: string;
  token: string;
}

async function endpointsOf(fhirBase: string): Promise<Endpoints> {
  const config = await discovered(fhirBase);
  return { authorize: String(config.authorization_endpoint), token: String(config.token_endpoint) };
}

/** An EHR launch up to the code, then the token request with a client assertion. */
async function exchangeWithAssertion(
  sandbox: RunningSandbox,
  fhirBase: string,
  clientId: string,
  assertion: (tokenUrl: string) => Promise<string>,
  scope = 'launch openid',
) {
  const { authorize, token } = await endpointsOf(fhirBase);
  const launch = await launchApp(sandbox, clientId);
  const { code, verifier } = await authorizeCode(authorize, {
    client_id: clientId,
    scope,
    aud: fhirBase,
    launch: launch.launch,
  });
  const response = await postForm(
    token,
    profileCodeForm(code, verifier, {
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(token),
    }),
  );
  return { response, body: (await response.json()) as Record<string, unknown> };
}

describe('Epic profile: private_key_jwt against the JWK Set URL or an allowlisted jku', () => {
  let sandbox: RunningSandbox;
  let registered: JwksServer;
  let alternate: JwksServer;
  let hostile: JwksServer;
  let rs384: ClientKey;
  let es384: ClientKey;
  let alternateKey: ClientKey;

  before(async () => {
    [rs384, es384, alternateKey] = await Promise.all([
      clientKey('RS384'),
      clientKey('ES384'),
      clientKey('ES384'),
    ]);
    registered = await startJwksServer(() => [rs384.publicJwk, es384.publicJwk]);
    alternate = await startJwksServer(() => [alternateKey.publicJwk]);
    hostile = await startJwksServer(() => [alternateKey.publicJwk]);
    sandbox = await startProfileSandbox({
      epicApps: [
        epicApp({
          nonProduction: { clientId: EPIC_NONPROD_CLIENT_ID, jwksUrl: registered.url },
          production: { clientId: EPIC_PROD_CLIENT_ID, jwksUrl: registered.url },
          jkuAllowlist: [alternate.url],
        }),
      ],
    });
  });
  after(async () => {
    await sandbox.close();
    await Promise.all([registered.close(), alternate.close(), hostile.close()]);
  });

  for (const alg of ['RS384', 'ES384'] as const) {
    it(`accepts an ${alg} assertion checked against the registered JWK Set URL`, async () => {
      const key = alg === 'RS384' ? rs384 : es384;
      const { response, body } = await exchangeWithAssertion(
        sandbox,
        sandbox.epic.nonProduction.fhirBaseUrl,
        EPIC_NONPROD_CLIENT_ID,
        (aud) => signAssertion({ key, clientId: EPIC_NONPROD_CLIENT_ID, aud }),
      );
      assert.equal(response.status, 200, JSON.stringify(body));
      assert.equal(typeof body.access_token, 'string');
    });
  }

  /** A token request at one of Epic's systems, its assertion signed with the key only a jku serves. */
  function exchangeSignedWithAlternateKey(system: 'production' | 'nonProduction', jku?: string) {
    const clientId = system === 'production' ? EPIC_PROD_CLIENT_ID : EPIC_NONPROD_CLIENT_ID;
    return exchangeWithAssertion(sandbox, sandbox.epic[system].fhirBaseUrl, clientId, (aud) =>
      signAssertion({ key: alternateKey, clientId, aud, header: jku ? { jku } : {} }),
    );
  }

  it('reads the keys at an allowlisted jku (Epic’s JKU lookup), at production too', async () => {
    const before = alternate.hits();
    const { response, body } = await exchangeSignedWithAlternateKey('production', alternate.url);
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.ok(alternate.hits() > before, 'the jku was fetched');
  });

  it('refuses a jku that is not allowlisted without fetching it, and a key only the jku holds without one', async () => {
    const refused = await exchangeSignedWithAlternateKey('nonProduction', hostile.url);
    assert.equal(refused.response.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
    assert.match(String(refused.body.error_description), /jku/);
    assert.equal(hostile.hits(), 0);
    const noJku = await exchangeSignedWithAlternateKey('nonProduction');
    assert.equal(noJku.response.status, 401);
    assert.match(String(noJku.body.error_description), /kid/);
  });

  it('refuses an assertion whose aud is the other system’s token URL', async () => {
    const other = (await endpointsOf(sandbox.epic.production.fhirBaseUrl)).token;
    const { response, body } = await exchangeWithAssertion(
      sandbox,
      sandbox.epic.nonProduction.fhirBaseUrl,
      EPIC_NONPROD_CLIENT_ID,
      () => signAssertion({ key: rs384, clientId: EPIC_NONPROD_CLIENT_ID, aud: other }),
    );
    assert.equal(response.status, 401);
    assert.match(String(body.error_description), /aud must be exactly/);
  });
});

describe('SMART profile: client-confidential-asymmetric', () => {
  let sandbox: RunningSandbox;
  let registered: JwksServer;
  let other: JwksServer;
  let rs384: ClientKey;
  let es384: ClientKey;
  let rs256: ClientKey;

  before(async () => {
    [rs384, es384, rs256] = await Promise.all([clientKey('RS384'), clientKey('ES384'), clientKey('RS256')]);
    registered = await startJwksServer(() => [rs384.publicJwk, es384.publicJwk, rs256.publicJwk]);
    other = await startJwksServer(() => [rs384.publicJwk]);
    sandbox = await startProfileSandbox({
      smartApps: [smartApp({ secret: undefined, jwksUrl: registered.url })],
    });
  });
  after(async () => {
    await sandbox.close();
    await Promise.all([registered.close(), other.close()]);
  });

  for (const key of ['RS384', 'ES384'] as const) {
    it(`accepts ${key}`, async () => {
      const signing = key === 'RS384' ? rs384 : es384;
      const { response, body } = await exchangeWithAssertion(
        sandbox,
        sandbox.smart.fhirBaseUrl,
        SMART_CLIENT_ID,
        (aud) => signAssertion({ key: signing, clientId: SMART_CLIENT_ID, aud }),
      );
      assert.equal(response.status, 200, JSON.stringify(body));
    });
  }

  it('refuses RS256, a reused jti, a jku other than the registered URL, and a client secret', async () => {
    const rs256Try = await exchangeWithAssertion(sandbox, sandbox.smart.fhirBaseUrl, SMART_CLIENT_ID, (aud) =>
      signAssertion({ key: rs256, clientId: SMART_CLIENT_ID, aud }),
    );
    assert.equal(rs256Try.response.status, 401);
    assert.match(String(rs256Try.body.error_description), /alg must be one of RS384, ES384/);
    const jkuTry = await exchangeWithAssertion(sandbox, sandbox.smart.fhirBaseUrl, SMART_CLIENT_ID, (aud) =>
      signAssertion({ key: rs384, clientId: SMART_CLIENT_ID, aud, header: { jku: other.url } }),
    );
    assert.equal(jkuTry.response.status, 401);
    assert.equal(other.hits(), 0);
    let reused = '';
    const first = await exchangeWithAssertion(
      sandbox,
      sandbox.smart.fhirBaseUrl,
      SMART_CLIENT_ID,
      async (aud) => {
        reused = await signAssertion({ key: rs384, clientId: SMART_CLIENT_ID, aud });
        return reused;
      },
    );
    assert.equal(first.response.status, 200);
    const second = await exchangeWithAssertion(
      sandbox,
      sandbox.smart.fhirBaseUrl,
      SMART_CLIENT_ID,
      async () => reused,
    );
    assert.equal(second.response.status, 401);
    assert.match(String(second.body.error_description), /jti was already used/);
    // client-confidential-symmetric is HTTP Basic only: a secret in the body is refused.
    const { token } = await endpointsOf(sandbox.smart.fhirBaseUrl);
    const posted = await postForm(token, {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: PROFILE_REDIRECT_URI,
      client_id: SMART_CLIENT_ID,
      client_secret: 'anything',
    });
    assert.equal(posted.status, 401);
    assert.match(
      ((await posted.json()) as { error_description: string }).error_description,
      /use HTTP Basic/,
    );
  });
});
