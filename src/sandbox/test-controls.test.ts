import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { RunningSandbox } from './index.ts';
import type { RecordedRequest } from './request-log.ts';
import {
  authorizeUrl,
  basicAuth,
  CLIENT_ID,
  get,
  hostsTokenUrl,
  issueCode,
  jwtPart,
  launchAuthorizeParams,
  pkcePair,
  postForm,
  REDIRECT_URI,
  refreshForm,
  SECRET,
  sandboxForSuite,
  startTestSandbox,
  testLaunch,
} from './test-support.ts';

async function putFaults(sandbox: RunningSandbox, faults: Record<string, unknown>): Promise<Response> {
  return fetch(`${sandbox.origin}/_test/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

async function exchangeCode(sandbox: RunningSandbox, signal?: AbortSignal): Promise<Response> {
  const { code, verifier } = await issueCode(sandbox);
  return fetch(hostsTokenUrl(sandbox), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(CLIENT_ID, SECRET),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
    ...(signal ? { signal } : {}),
  });
}

describe('test controls are off by default', () => {
  it('answers 404 for every /_test path when testControls is false', async () => {
    const sandbox = await startTestSandbox({ testControls: false });
    try {
      const launch = await fetch(`${sandbox.origin}/_test/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: CLIENT_ID, patient: '12724065' }),
      });
      assert.equal(launch.status, 404);
      assert.equal((await putFaults(sandbox, { token: 'http_500' })).status, 404);
      assert.equal((await get(`${sandbox.origin}/_test/requests`)).status, 404);
      assert.equal((await fetch(`${sandbox.origin}/_test/faults`, { method: 'DELETE' })).status, 404);
    } finally {
      await sandbox.close();
    }
  });
});

describe('fault switches (PUT /_test/faults)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);

  it('rejects unknown faults and values without changing anything', async () => {
    assert.equal((await putFaults(sandbox, { token: 'explode' })).status, 400);
    assert.equal((await putFaults(sandbox, { printer: 'on_fire' })).status, 400);
    const current = (await (await get(`${sandbox.origin}/_test/faults`)).json()) as { faults: object };
    assert.deepEqual(current.faults, {});
  });

  it('token http_500: the token endpoint answers 500', async () => {
    assert.equal((await putFaults(sandbox, { token: 'http_500' })).status, 200);
    try {
      const response = await exchangeCode(sandbox);
      assert.equal(response.status, 500);
    } finally {
      await fetch(`${sandbox.origin}/_test/faults`, { method: 'DELETE' });
    }
    assert.equal((await exchangeCode(sandbox)).status, 200, 'DELETE /_test/faults clears it');
  });

  it('token malformed_json: 200 with a truncated JSON body', async () => {
    await putFaults(sandbox, { token: 'malformed_json' });
    try {
      const response = await exchangeCode(sandbox);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const text = await response.text();
      assert.ok(text.startsWith('{"access_token":'));
      assert.throws(() => JSON.parse(text), SyntaxError);
    } finally {
      await putFaults(sandbox, { token: null });
    }
  });

  it('id_token unknown_kid: the id_token is signed with a key /jwk does not publish', async () => {
    await putFaults(sandbox, { id_token: 'unknown_kid' });
    try {
      const body = (await (await exchangeCode(sandbox)).json()) as { id_token: string; access_token: string };
      const jwks = (await (await get(`${sandbox.origin}/jwk`)).json()) as { keys: { kid: string }[] };
      const kid = String(jwtPart(body.id_token, 0).kid);
      assert.match(kid, /\.rsa$/);
      assert.ok(!jwks.keys.some((key) => key.kid === kid));
      await assert.rejects(jwtVerify(body.id_token, createLocalJWKSet(jwks as { keys: [] })));
      // The access token is still fine.
      await jwtVerify(body.access_token, createLocalJWKSet(jwks as { keys: [] }));
    } finally {
      await putFaults(sandbox, { id_token: null });
    }
  });

  it('smart_configuration not_found: 404 while /metadata still answers', async () => {
    await putFaults(sandbox, { smart_configuration: 'not_found' });
    try {
      assert.equal((await get(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`)).status, 404);
      assert.equal((await get(`${sandbox.fhirBaseUrl}/metadata`)).status, 200);
    } finally {
      await putFaults(sandbox, { smart_configuration: null });
    }
    assert.equal((await get(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`)).status, 200);
  });

  it('authorize deny: access_denied with denied-by-user', async () => {
    await putFaults(sandbox, { authorize: 'deny' });
    try {
      const launch = await testLaunch(sandbox);
      const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
        cookie: launch.session_cookie,
      });
      const params = new URL(response.headers.get('location') ?? '').searchParams;
      assert.equal(params.get('error'), 'access_denied');
      assert.ok(
        params
          .get('error_uri')
          ?.includes(encodeURIComponent('urn:cerner:error:authorization-server:oauth2:grant:denied-by-user')),
      );
    } finally {
      await putFaults(sandbox, { authorize: null });
    }
  });

  it('POST /_test/launch validates its input', async () => {
    for (const body of [
      { client_id: 'nobody', patient: '12724065' },
      { client_id: CLIENT_ID, patient: '1' },
      { client_id: CLIENT_ID, patient: '12724065', username: 'root' },
    ]) {
      const response = await fetch(`${sandbox.origin}/_test/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400, JSON.stringify(body));
    }
  });
});

describe('token hang fault', () => {
  it('holds token requests open and still lets close() return promptly', { timeout: 5000 }, async () => {
    const sandbox = await startTestSandbox();
    let closed = false;
    try {
      await putFaults(sandbox, { token: 'hang' });
      await assert.rejects(
        exchangeCode(sandbox, AbortSignal.timeout(300)),
        (error: Error) => error.name === 'TimeoutError',
      );
      const pending = exchangeCode(sandbox).then(
        (response) => response.status,
        () => 'aborted',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await sandbox.close();
      closed = true;
      assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
      assert.equal(await pending, 'aborted');
    } finally {
      if (!closed) await sandbox.close();
    }
  });
});

describe('request log (GET /_test/requests)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);

  it('records what clients sent to each EHR endpoint, in arrival order', async () => {
    const launch = await testLaunch(sandbox);
    assert.equal((await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' })).status, 204);
    await get(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`, { accept: 'application/json' });
    await get(`${sandbox.fhirBaseUrl}/metadata`);
    const { verifier, challenge } = pkcePair();
    const authorize = await get(
      authorizeUrl(
        sandbox,
        launchAuthorizeParams(launch, { code_challenge: challenge, code_challenge_method: 'S256' }),
      ),
      { cookie: launch.session_cookie },
    );
    const code = new URL(authorize.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const token = (await (
      await postForm(
        hostsTokenUrl(sandbox),
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
        { authorization: basicAuth(CLIENT_ID, SECRET) },
      )
    ).json()) as { access_token: string };
    await get(`${sandbox.fhirBaseUrl}/Patient/12724065`, { authorization: `Bearer ${token.access_token}` });
    await get(`${sandbox.origin}/jwk`);
    await postForm(
      `${sandbox.origin}/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/token/revoke`,
      { token: 'x' },
      {
        authorization: basicAuth(CLIENT_ID, SECRET),
      },
    );

    const { requests } = (await (await get(`${sandbox.origin}/_test/requests`)).json()) as {
      requests: RecordedRequest[];
    };
    assert.deepEqual(
      requests.map((request) => request.endpoint),
      ['smart-configuration', 'metadata', 'authorize', 'token', 'fhir', 'jwk', 'revoke'],
    );
    const [discovery, , authorizeRequest, tokenRequest, fhirRequest] = requests;
    assert.equal(discovery?.headers.accept, 'application/json');
    assert.equal(authorizeRequest?.method, 'GET');
    assert.equal(
      authorizeRequest?.path,
      `/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize`,
    );
    assert.equal(authorizeRequest?.query.aud, launch.iss);
    assert.equal(authorizeRequest?.query.launch, launch.launch);
    assert.equal(authorizeRequest?.query.code_challenge_method, 'S256');
    assert.equal(authorizeRequest?.query.state, 'state-123');
    assert.equal(authorizeRequest?.form, null);
    assert.equal(tokenRequest?.method, 'POST');
    assert.equal(tokenRequest?.path, new URL(hostsTokenUrl(sandbox)).pathname);
    assert.deepEqual(tokenRequest?.form, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(tokenRequest?.headers.authorization, basicAuth(CLIENT_ID, SECRET));
    assert.equal(fhirRequest?.path, `/r4/${sandbox.tenant}/Patient/12724065`);
    assert.ok(!Number.isNaN(Date.parse(tokenRequest?.at ?? '')));

    await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' });
    const cleared = (await (await get(`${sandbox.origin}/_test/requests`)).json()) as { requests: unknown[] };
    assert.deepEqual(cleared.requests, []);
  });

  it('counts requests per endpoint and token requests per grant type (refresh calls)', async () => {
    await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' });
    const { code, verifier } = await issueCode(sandbox);
    const tokens = (await (
      await postForm(
        hostsTokenUrl(sandbox),
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
        { authorization: basicAuth(CLIENT_ID, SECRET) },
      )
    ).json()) as { refresh_token: string };
    for (let i = 0; i < 3; i += 1) {
      await postForm(hostsTokenUrl(sandbox), refreshForm(tokens.refresh_token), {
        authorization: basicAuth(CLIENT_ID, SECRET),
      });
    }
    const { counts } = (await (await get(`${sandbox.origin}/_test/requests`)).json()) as {
      counts: Record<string, number>;
    };
    assert.deepEqual(counts, { authorize: 1, token: 4, authorization_code: 1, refresh_token: 3 });
    await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' });
    const cleared = (await (await get(`${sandbox.origin}/_test/requests`)).json()) as { counts: unknown };
    assert.deepEqual(cleared.counts, {});
  });
});

describe('token settings (PUT /_test/settings)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);

  const put = (body: unknown) =>
    fetch(`${sandbox.origin}/_test/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('changes the access-token lifetime of tokens issued from then on', async () => {
    const answer = await put({ access_token_lifetime_seconds: 90 });
    assert.deepEqual(await answer.json(), {
      access_token_lifetime_seconds: 90,
      rotate_refresh_tokens: false,
    });
    const { code, verifier } = await issueCode(sandbox);
    const response = await postForm(
      hostsTokenUrl(sandbox),
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      { authorization: basicAuth(CLIENT_ID, SECRET) },
    );
    const body = (await response.json()) as { access_token: string; expires_in: number };
    assert.equal(body.expires_in, 60, 'expires_in reports 30 s less, as Cerner does');
    const claims = jwtPart(body.access_token, 1);
    assert.equal((claims.exp as number) - (claims.iat as number), 90);
  });

  it('refuses values it cannot honour', async () => {
    assert.equal((await put({ access_token_lifetime_seconds: 30 })).status, 400);
    assert.equal((await put({ rotate_refresh_tokens: 'yes' })).status, 400);
    const current = await (await get(`${sandbox.origin}/_test/settings`)).json();
    assert.deepEqual(current, { access_token_lifetime_seconds: 90, rotate_refresh_tokens: false });
  });
});
