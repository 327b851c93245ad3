import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authorizeUrl,
  CLIENT_ID,
  get,
  launchAuthorizeParams,
  pkcePair,
  postForm,
  providerApp,
  REDIRECT_URI,
  redirectParams,
  sandboxForSuite,
  startTestSandbox,
  testLaunch,
} from './test-support.ts';

const GRANT = 'urn:cerner:error:authorization-server:oauth2:grant:';
const LAUNCH = 'urn:cerner:error:authorization-server:smart-v1:grant:launch:';

/** Beside the guide's provider app: a Patient app, whose Redirect URI carries a query. */
const PATIENT_APP = providerApp({
  name: 'patient app',
  applicationId: 'patient-app',
  clientId: 'patient-client',
  persona: 'patient',
  redirectUris: ['http://localhost:4100/callback?tenant=x'],
});

describe('authorize endpoint (S4)', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [providerApp(), PATIENT_APP] }));

  /** Asserts an HTML error page (no redirect) showing this URN. */
  async function assertErrorPage(response: Response, urn: string, status = 400) {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('location'), null);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    const page = await response.text();
    assert.ok(page.includes(`Error Code: <code>${urn}</code>`), `page shows ${urn}`);
    assert.match(page, /Correlation ID: <code>[0-9a-f-]{36}<\/code>/);
    return page;
  }

  /** Asserts an error redirect to the registered URI with Cerner's error_uri and no error_description. */
  function assertErrorRedirect(
    response: Response,
    error: string,
    urn: string,
    target = REDIRECT_URI,
    state = 'state-123',
  ) {
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, target);
    const params = location.searchParams;
    assert.equal(params.get('error'), error);
    assert.equal(params.get('state'), state);
    assert.equal(params.get('error_description'), null);
    assert.equal(params.get('code'), null);
    const errorUri = new URL(params.get('error_uri') ?? '');
    assert.equal(errorUri.origin, sandbox.origin);
    const match = /^\/errors\/([^/]+)\/instances\/([0-9a-f-]{36})$/.exec(errorUri.pathname);
    assert.ok(match, errorUri.pathname);
    assert.equal(match[1], encodeURIComponent(urn));
    assert.deepEqual(
      [...errorUri.searchParams],
      [
        ['persona', 'provider'],
        ['client', CLIENT_ID],
        ['tenant', sandbox.tenant],
      ],
    );
    // The URN is percent-encoded inside the path, so it is double-encoded in the Location.
    assert.ok(response.headers.get('location')?.includes(encodeURIComponent(encodeURIComponent(urn))));
    return errorUri;
  }

  describe('HTML error pages (client or redirect URI not trusted)', () => {
    it('shows unknown-tenant for another tenant', async () => {
      const launch = await testLaunch(sandbox);
      const url = authorizeUrl(sandbox, launchAuthorizeParams(launch)).replace(
        sandbox.tenant,
        'another-tenant',
      );
      await assertErrorPage(await get(url), `${GRANT}unknown-tenant`);
    });

    it("shows unknown-client with Cerner's message for an unregistered client_id", async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, launchAuthorizeParams(launch, { client_id: 'nobody' })),
      );
      const page = await assertErrorPage(response, `${GRANT}unknown-client`);
      assert.ok(
        page.includes(
          'The supplied &quot;client_id&quot; value does not correspond to any registered applications on record.',
        ),
      );
    });

    it('shows invalid-redirect-uri-trailing-slash when only a trailing slash differs', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, launchAuthorizeParams(launch, { redirect_uri: `${REDIRECT_URI}/` })),
      );
      await assertErrorPage(response, `${GRANT}invalid-redirect-uri-trailing-slash`);
    });

    it('shows invalid-redirect-uri for any other mismatch', async () => {
      const launch = await testLaunch(sandbox);
      for (const redirectUri of [
        'http://localhost:3001/api/auth/smart/launch-callback',
        'https://localhost:3000/api/auth/smart/launch-callback',
        'http://localhost:3000/api/auth/smart/launch-callbackx',
        'http://evil.example/api/auth/smart/launch-callback',
      ]) {
        const response = await get(
          authorizeUrl(sandbox, launchAuthorizeParams(launch, { redirect_uri: redirectUri })),
        );
        await assertErrorPage(response, `${GRANT}invalid-redirect-uri`);
      }
    });

    it('shows redirect-uri-not-absolute for a relative redirect URI', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, launchAuthorizeParams(launch, { redirect_uri: '/callback' })),
      );
      await assertErrorPage(response, `${GRANT}redirect-uri-not-absolute`);
    });
  });

  describe('error redirects (after the redirect URI is verified)', () => {
    it('requires aud (audience-required)', async () => {
      const launch = await testLaunch(sandbox);
      const params = launchAuthorizeParams(launch);
      delete params.aud;
      const response = await get(authorizeUrl(sandbox, params), { cookie: launch.session_cookie });
      assertErrorRedirect(response, 'invalid_request', `${LAUNCH}audience-required`);
    });

    it('requires aud to equal the FHIR base exactly (audience-not-white-listed)', async () => {
      const launch = await testLaunch(sandbox);
      for (const aud of [
        `${launch.iss}/`,
        launch.iss.toUpperCase(),
        'https://fhir-ehr-code.cerner.com/r4/x',
      ]) {
        const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch, { aud })), {
          cookie: launch.session_cookie,
        });
        assertErrorRedirect(response, 'invalid_request', `${LAUNCH}audience-not-white-listed`);
      }
    });

    it('uses the default redirect URI when redirect_uri is omitted', async () => {
      const launch = await testLaunch(sandbox);
      const params = launchAuthorizeParams(launch);
      delete params.aud;
      delete params.redirect_uri;
      const response = await get(authorizeUrl(sandbox, params), { cookie: launch.session_cookie });
      assertErrorRedirect(response, 'invalid_request', `${LAUNCH}audience-required`);
    });

    it('rejects a response_type other than code', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, launchAuthorizeParams(launch, { response_type: 'token' })),
        {
          cookie: launch.session_cookie,
        },
      );
      assertErrorRedirect(response, 'unsupported_response_type', `${GRANT}unsupported-response-type`);
    });

    it('rejects the patient persona path for a provider app (client-persona-mismatch)', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch), 'patient'), {
        cookie: launch.session_cookie,
      });
      assert.equal(response.status, 302);
      const params = redirectParams(response);
      assert.equal(params.get('error'), 'unauthorized_client');
      assert.ok(params.get('error_uri')?.includes(encodeURIComponent(`${GRANT}client-persona-mismatch`)));
      assert.ok(params.get('error_uri')?.includes('persona=patient'));
    });

    it('requires the launch parameter with the launch scope (launch-code-required)', async () => {
      const launch = await testLaunch(sandbox);
      const params = launchAuthorizeParams(launch);
      delete params.launch;
      const response = await get(authorizeUrl(sandbox, params), { cookie: launch.session_cookie });
      assertErrorRedirect(response, 'invalid_request', `${LAUNCH}launch-code-required`);
    });

    it('accepts a launch once only (invalid-code on reuse)', async () => {
      const launch = await testLaunch(sandbox);
      const first = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
        cookie: launch.session_cookie,
      });
      assert.ok(redirectParams(first).get('code'));
      const second = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
        cookie: launch.session_cookie,
      });
      assertErrorRedirect(second, 'invalid_request', `${LAUNCH}invalid-code`);
    });

    it('rejects an unknown launch', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(
          sandbox,
          launchAuthorizeParams(launch, { launch: '00000000-0000-4000-8000-000000000000' }),
        ),
        { cookie: launch.session_cookie },
      );
      assertErrorRedirect(response, 'invalid_request', `${LAUNCH}invalid-code`);
    });

    it('rejects a launch that has expired after 300 s', async () => {
      const launch = await testLaunch(sandbox);
      await fetch(`${sandbox.origin}/_test/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ advance_seconds: 301 }),
      });
      try {
        const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
          cookie: launch.session_cookie,
        });
        assertErrorRedirect(response, 'invalid_request', `${LAUNCH}invalid-code`);
      } finally {
        await fetch(`${sandbox.origin}/_test/clock`, { method: 'DELETE' });
      }
    });

    it('rejects a launch of another user (mismatched-identity)', async () => {
      const launch = await testLaunch(sandbox, { username: 'portal' });
      const otherUser = await testLaunch(sandbox, { username: 'clinician2' });
      const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
        cookie: otherUser.session_cookie,
      });
      assertErrorRedirect(response, 'access_denied', `${LAUNCH}mismatched-identity`);
    });

    it('rejects PKCE methods other than S256', async () => {
      const launch = await testLaunch(sandbox);
      const { verifier } = pkcePair();
      for (const method of ['plain', '']) {
        const response = await get(
          authorizeUrl(
            sandbox,
            launchAuthorizeParams(launch, { code_challenge: verifier, code_challenge_method: method }),
          ),
          { cookie: launch.session_cookie },
        );
        assertErrorRedirect(response, 'invalid_request', `${GRANT}invalid-request`);
      }
    });

    it('denies when no requested scope can be granted (denied-by-server)', async () => {
      const session = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, {
          response_type: 'code',
          client_id: CLIENT_ID,
          scope: 'user/Condition.read patient/*.read',
          state: 'state-123',
          aud: sandbox.fhirBaseUrl,
        }),
        { cookie: session.session_cookie },
      );
      assertErrorRedirect(response, 'access_denied', `${GRANT}denied-by-server`);
    });

    it('reports denied-by-user when the deny fault is on', async () => {
      const launch = await testLaunch(sandbox);
      await fetch(`${sandbox.origin}/_test/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ authorize: 'deny' }),
      });
      try {
        const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)), {
          cookie: launch.session_cookie,
        });
        assertErrorRedirect(response, 'access_denied', `${GRANT}denied-by-user`);
      } finally {
        await fetch(`${sandbox.origin}/_test/faults`, { method: 'DELETE' });
      }
    });

    it('serves the page an error_uri points at, showing the URN', async () => {
      const launch = await testLaunch(sandbox);
      const params = launchAuthorizeParams(launch);
      delete params.aud;
      const response = await get(authorizeUrl(sandbox, params), { cookie: launch.session_cookie });
      const errorUri = assertErrorRedirect(response, 'invalid_request', `${LAUNCH}audience-required`);
      const page = await get(errorUri.toString());
      assert.equal(page.status, 200);
      const body = await page.text();
      assert.ok(body.includes(`${LAUNCH}audience-required`));
      assert.ok(body.includes('the aud parameter is missing'));
    });
  });

  describe('success', () => {
    it('redirects with code and state, keeping the redirect URI as sent', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(
        authorizeUrl(sandbox, launchAuthorizeParams(launch, { redirect_uri: `${REDIRECT_URI}?env=dev` })),
        {
          cookie: launch.session_cookie,
        },
      );
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') ?? '');
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      assert.equal(location.searchParams.get('env'), 'dev');
      assert.match(location.searchParams.get('code') ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(location.searchParams.get('state'), 'state-123');
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });

    it('accepts a POSTed authorize form (authorize-post)', async () => {
      const launch = await testLaunch(sandbox);
      const url = authorizeUrl(sandbox, {});
      const response = await postForm(url.slice(0, url.indexOf('?')), launchAuthorizeParams(launch), {
        cookie: launch.session_cookie,
      });
      assert.equal(response.status, 302);
      assert.ok(redirectParams(response).get('code'));
    });

    it('sends a browser without a session to the login page and comes back to authorize', async () => {
      const launch = await testLaunch(sandbox);
      const response = await get(authorizeUrl(sandbox, launchAuthorizeParams(launch)));
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') ?? '', sandbox.origin);
      assert.equal(location.pathname, '/login');
      const returnTo = location.searchParams.get('return_to') ?? '';
      assert.ok(
        returnTo.startsWith(
          `/tenants/${sandbox.tenant}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize?`,
        ),
      );
      assert.equal(new URLSearchParams(returnTo.split('?')[1]).get('launch'), launch.launch);
      // The launch is still usable: nothing was issued yet.
      const retry = await get(`${sandbox.origin}${returnTo}`, { cookie: launch.session_cookie });
      assert.ok(redirectParams(retry).get('code'));
    });
  });
});
