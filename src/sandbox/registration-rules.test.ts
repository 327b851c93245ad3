/**
 * What is registered in the Code Console and Cerner Central is what the sandbox enforces (issue
 * 14, part 5): apps registered through the wizard, then used over the wire at the authorize and
 * token endpoints and by the launcher.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ConsoleBrowser } from './console-test-support.ts';
import type { RunningSandbox } from './index.ts';
import { authorizeAs, codeFor, tokensFor, viewSecret } from './registration-test-support.ts';

import {
  assertTokenError,
  basicAuth,
  codeForm,
  cookiesFrom,
  exchange,
  get,
  hostsTokenUrl,
  pkcePair,
  postForm,
  REDIRECT_URI,
  redirectParams,
  sandboxForSuite,
  startTestSandbox,
  TOKEN_URN,
} from './test-support.ts';

describe('registered apps at the authorize and token endpoints', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [] }));
  let browser: ConsoleBrowser;
  before(async () => {
    browser = new ConsoleBrowser(sandbox.origin);
    await browser.signIn();
  });

  it('SMART v1: grants requested ∩ ticked (.read/.write), Offline adds offline_access and a refresh token', async () => {
    const { clientId } = await browser.register({
      apiAccess: { 'user:Patient:read': 'on', 'user:Patient:write': 'on', 'user:Observation:read': 'on' },
    });
    const { response, body } = await tokensFor(
      sandbox,
      browser,
      clientId,
      'openid fhirUser launch offline_access user/Patient.read user/Patient.write user/Encounter.read user/Observation.read patient/Observation.read user/Observation.rs',
    );
    assert.equal(response.status, 200);
    assert.equal(
      body.scope,
      'fhirUser launch offline_access openid user/Observation.read user/Patient.read user/Patient.write',
    );
    assert.match(String(body.refresh_token), /^[0-9a-f-]{36}$/);
  });

  it('SMART v2: ticks register .rs/.cud, and only those are granted', async () => {
    const { clientId } = await browser.register({
      basic: { smart_version: 'v2' },
      apiAccess: { 'user:Patient:read': 'on', 'user:Patient:write': 'on', 'patient:Observation:read': 'on' },
    });
    const { body } = await tokensFor(
      sandbox,
      browser,
      clientId,
      'launch openid user/Patient.rs user/Patient.cud user/Patient.read user/Encounter.rs patient/Observation.rs',
      'smart-v2',
    );
    assert.equal(body.scope, 'launch openid patient/Observation.rs user/Patient.cud user/Patient.rs');
  });

  it('Online: online_access only (offline_access dropped) and no refresh token', async () => {
    const { clientId } = await browser.register({ basic: { type_of_access: 'online' } });
    const { response, body } = await tokensFor(
      sandbox,
      browser,
      clientId,
      'launch openid online_access offline_access user/Patient.read',
    );
    assert.equal(response.status, 200);
    assert.equal(body.scope, 'launch online_access openid user/Patient.read');
    assert.equal('refresh_token' in body, false);
  });

  it('Public: no secret is issued, PKCE is required, and the client authenticates with its id alone', async () => {
    const { clientId } = await browser.register({ basic: { application_privacy: 'public' } });
    const account = (await browser.get(`/system-accounts/${clientId}`)).text;
    assert.match(account, /None \(a Public application has no secret\)/);
    assert.doesNotMatch(account, />View<\/button>/);

    const withoutPkce = await authorizeAs(sandbox, clientId, { scope: 'launch openid user/Patient.read' });
    assert.equal(withoutPkce.status, 302);
    const refused = redirectParams(withoutPkce);
    assert.equal(refused.get('error'), 'invalid_request');
    assert.equal(refused.get('code'), null);

    const { code, verifier } = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
    const { response, body } = await exchange(sandbox, codeForm(code, verifier, { client_id: clientId }), {});
    assert.equal(response.status, 200);
    assert.equal(body.scope, 'launch openid user/Patient.read');
  });

  it('a rotated secret stops the old one at once; the new one works', async () => {
    const { clientId } = await browser.register();
    const old = await viewSecret(browser, clientId);
    const first = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
    assert.equal(
      (
        await exchange(sandbox, codeForm(first.code, first.verifier), {
          authorization: basicAuth(clientId, old),
        })
      ).response.status,
      200,
    );

    await browser.get(`/system-accounts/${clientId}/secret`);
    const rotated = await browser.post(`/system-accounts/${clientId}/secret/rotate`, {});
    const fresh = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(rotated.text)?.[1] as string;
    const second = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
    const refused = await exchange(sandbox, codeForm(second.code, second.verifier), {
      authorization: basicAuth(clientId, old),
    });
    assertTokenError(sandbox, refused, 'invalid_client', `${TOKEN_URN}invalid_client_credentials`, clientId);
    const third = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
    const accepted = await exchange(sandbox, codeForm(third.code, third.verifier), {
      authorization: basicAuth(clientId, fresh),
    });
    assert.equal(accepted.response.status, 200);
  });

  it('refuses a redirect_uri that is not registered with Cerner’s error page, until Edit adds it', async () => {
    const { applicationId, clientId } = await browser.register();
    const other = 'http://localhost:3999/api/auth/smart/launch-callback';
    const { challenge } = pkcePair();
    const refused = await authorizeAs(sandbox, clientId, {
      scope: 'launch openid user/Patient.read',
      redirect_uri: other,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('location'), null, 'never redirected to an unregistered URI');
    const page = await refused.text();
    assert.match(
      page,
      /The supplied &quot;redirect_uri&quot; does not match a redirect URI registered for this application\./,
    );
    assert.match(page, /urn:cerner:error:authorization-server:oauth2:grant:invalid-redirect-uri/);

    const editPath = `/developer/smart-on-fhir/apps/${applicationId}/edit`;
    await browser.get(editPath);
    await browser.post(editPath, {
      redirect_uri: REDIRECT_URI,
      redirect_uri_1: other,
      smart_launch_uri: 'http://localhost:3999/api/auth/smart/launch/org_1',
      action: 'save',
    });
    const accepted = await authorizeAs(sandbox, clientId, {
      scope: 'launch openid user/Patient.read',
      redirect_uri: other,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    assert.equal(accepted.status, 302);
    assert.ok(redirectParams(accepted).get('code'));
    assert.ok(accepted.headers.get('location')?.startsWith(`${other}?`));
  });

  it('Test Sandbox opens the SMART Launch URI on file, after an Edit too; the consent lists the ticked access', async () => {
    const { applicationId } = await browser.register();
    const launchUri = 'http://localhost:3000/api/auth/smart/launch/org_edited';
    const editPath = `/developer/smart-on-fhir/apps/${applicationId}/edit`;
    await browser.get(editPath);
    await browser.post(editPath, { redirect_uri: REDIRECT_URI, smart_launch_uri: launchUri, action: 'save' });

    const ready = (
      await browser.get(
        `/developer/smart-on-fhir/apps/${applicationId}/test-sandbox/ready?patient=12724065&banner=yes`,
      )
    ).text;
    const launcher = (/<a class="button" id="launch" href="([^"]+)"/.exec(ready)?.[1] ?? '').replaceAll(
      '&amp;',
      '&',
    );
    const login = await postForm(`${sandbox.origin}/login`, {
      return_to: new URL(launcher).pathname + new URL(launcher).search,
      username: 'portal',
      password: 'portal',
      installation: 'C1941',
      action: 'login',
    });
    const cookie = cookiesFrom(login);
    const consent = await (await get(launcher, { cookie })).text();
    assert.match(
      consent,
      /<ul id="consent-access"><li>Patient: read<\/li><li>Encounter: read<\/li><li>Observation: read<\/li><li>stay connected after you sign out \(offline access\)<\/li><\/ul>/,
    );
    assert.doesNotMatch(consent, /Oracle Health<span>Sign in/, 'the consent page is not the sign-in');
    const consentId = /name="consent_id" value="([^"]+)"/.exec(consent)?.[1] ?? '';
    const approve = await postForm(
      `${sandbox.origin}/smart/${sandbox.tenant}/apps/${applicationId}/consent`,
      { consent_id: consentId, decision: 'approve' },
      { cookie },
    );
    const location = new URL(approve.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, launchUri);
    assert.equal(location.searchParams.get('iss'), sandbox.fhirBaseUrl);
  });
});

describe('JWT client assertions against the JWKS URL registered on Cerner Central', () => {
  let sandbox: RunningSandbox;
  let browser: ConsoleBrowser;
  let jwksHost: Server;
  let hits = 0;
  const published: JWK[] = [];

  before(async () => {
    jwksHost = createServer((_request, response) => {
      hits += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => jwksHost.listen(0, '127.0.0.1', resolve));
    sandbox = await startTestSandbox({ apps: [] });
    browser = new ConsoleBrowser(sandbox.origin);
    await browser.signIn();
  });
  after(async () => {
    await sandbox.close();
    await new Promise((resolve) => jwksHost.close(resolve));
  });

  async function signingKey() {
    const { privateKey, publicKey } = await generateKeyPair('RS384');
    const kid = randomUUID();
    published.push({ ...(await exportJWK(publicKey)), kid, alg: 'RS384' });
    return { kid, privateKey };
  }

  async function exchangeWithAssertion(clientId: string, key: Awaited<ReturnType<typeof signingKey>>) {
    const { code, verifier } = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({
      iss: clientId,
      sub: clientId,
      aud: hostsTokenUrl(sandbox),
      jti: randomUUID(),
      exp: now + 240,
      iat: now,
    })
      .setProtectedHeader({ alg: 'RS384', kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey);
    return exchange(
      sandbox,
      codeForm(code, verifier, {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
      {},
    );
  }

  it('verifies against the URL on file, keeps the set briefly, fetches again for an unknown kid', async () => {
    const { clientId } = await browser.register();
    const first = await signingKey();
    const noUrl = await exchangeWithAssertion(clientId, first);
    assertTokenError(sandbox, noUrl, 'invalid_client', `${TOKEN_URN}invalid-client-assertion`, clientId);
    assert.equal(hits, 0, 'nothing fetched before a JWKS URL is registered');

    const url = `http://127.0.0.1:${(jwksHost.address() as AddressInfo).port}/jwks`;
    await browser.get(`/system-accounts/${clientId}/jwks/edit`);
    await browser.post(`/system-accounts/${clientId}/jwks`, { jwks_choice: 'url', jwks_url: url });
    assert.equal((await exchangeWithAssertion(clientId, first)).response.status, 200);
    assert.equal((await exchangeWithAssertion(clientId, first)).response.status, 200);
    assert.equal(hits, 1, 'the key set was fetched once and kept');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await signingKey();
    assert.equal((await exchangeWithAssertion(clientId, second)).response.status, 200);
    assert.equal(hits, 2, 'an unknown kid fetched the set again');
  });
});
