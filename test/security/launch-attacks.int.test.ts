/**
 * Attacks on the launch flow and on tenant isolation, against the gateway and the local sandbox:
 * state replay, authorization-code injection (a code from one launch with another's state),
 * cross-organization access to launch contexts and FHIR, and open redirects (no input makes
 * the gateway redirect anywhere but the EHR's discovered authorize endpoint, the connection's
 * App launch URL, or — in the console — a same-origin /admin path).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/api/api-keys.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import {
  type ConsoleApp,
  ConsoleClient,
  csrfTokenOf,
  PASSWORD,
  startConsoleApp,
} from '../support/admin-console.ts';
import { proxyFetch } from '../support/fhir-proxy.ts';
import {
  authorizeAtEhr,
  driveLaunch,
  launchIdFrom,
  readContext,
  startLaunch,
} from '../support/launch-driver.ts';
import { recordedRequests, sandboxLaunch } from '../support/sandbox-controls.ts';
import { type Stack, startStack } from '../support/stack.ts';

const EVIL = 'evil.example';

describe('launch attacks', () => {
  let stack: Stack;
  let authorizeEndpoint: string;
  let callback: string;

  before(async () => {
    stack = await startStack();
    const discovery = await fetch(`${stack.sandbox.fhirBaseUrl}/.well-known/smart-configuration`);
    authorizeEndpoint = ((await discovery.json()) as { authorization_endpoint: string })
      .authorization_endpoint;
    callback = `${stack.gatewayUrl}/api/auth/smart/launch-callback`;
  });
  after(() => stack.close());

  const completedLaunches = async () =>
    (
      await stack.gateway.services.db
        .selectFrom('ehr_launch')
        .select('id')
        .where('status', '=', 'ready')
        .execute()
    ).length;

  /** Every 3xx the gateway gives on the launch side goes to the EHR's authorize endpoint or the App launch URL. */
  function assertAllowedRedirect(response: Response, what: string): void {
    if (response.status < 300 || response.status >= 400) return;
    const location = response.headers.get('location') ?? '';
    const target = new URL(location);
    const toEhr = `${target.origin}${target.pathname}` === authorizeEndpoint;
    const app = new URL(stack.appLaunchUrl);
    const toApp = target.origin === app.origin && target.pathname === app.pathname;
    assert.ok(toEhr || toApp, `${what} redirected to ${location}`);
    // (The opaque `launch` value is the EHR's own and goes back to it verbatim: not a target.)
    if (toEhr) {
      // The EHR sends the code back only to our Redirect URI, for the registered iss.
      assert.equal(target.searchParams.get('redirect_uri'), callback, what);
      assert.equal(target.searchParams.get('aud'), stack.sandbox.fhirBaseUrl, what);
    }
  }

  it('refuses a replayed state: the callback works once, the EHR is asked for tokens once', async () => {
    const { callbackUrl, callbackResponse } = await driveLaunch(stack);
    launchIdFrom(callbackResponse);
    const before = (await recordedRequests(stack.sandbox, 'token')).length;
    const replay = await fetch(callbackUrl, { redirect: 'manual' });
    assert.equal(replay.status, 400);
    assert.equal(replay.headers.get('location'), null);
    const body = await replay.text();
    assert.match(body, /invalid_state/);
    assert.equal((await recordedRequests(stack.sandbox, 'token')).length, before, 'no second token request');
  });

  it('refuses an authorization code injected into another launch (PKCE binds code to state)', async () => {
    const a = await startLaunch(stack);
    const b = await startLaunch(stack);
    const callbackA = await authorizeAtEhr(a.authorizeUrl, a.ehrLaunch.session_cookie);
    const callbackB = await authorizeAtEhr(b.authorizeUrl, b.ehrLaunch.session_cookie);
    const ready = await completedLaunches();

    const injected = new URL(callback);
    injected.searchParams.set('code', callbackA.searchParams.get('code') as string);
    injected.searchParams.set('state', callbackB.searchParams.get('state') as string);
    const response = await fetch(injected, { redirect: 'manual' });
    // The EHR refuses the code (B's PKCE verifier does not match A's challenge): our exchange fails.
    assert.equal(response.status, 502, `injected code answered ${response.status}`);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /token_exchange_failed/);
    assert.equal(await completedLaunches(), ready, 'no launch context was created');
    // B's state is spent: its own code cannot complete it afterwards either.
    const late = await fetch(callbackB, { redirect: 'manual' });
    assert.equal(late.status, 400);
    assert.equal(await completedLaunches(), ready);
  });

  it('keeps organizations apart: another org’s key gets 404 for contexts and FHIR, like an unknown id', async () => {
    const { db } = stack.gateway.services;
    const otherOrg = await createOrganization(db, { name: 'Other Clinic' });
    const { key: otherKey } = await createApiKey(db, otherOrg.id, 'test');
    const { callbackResponse } = await driveLaunch(stack);
    const id = launchIdFrom(callbackResponse);

    assert.equal((await readContext(stack, id)).response.status, 200, 'control: the owner reads it');
    const foreign = await readContext(stack, id, otherKey);
    const unknown = await readContext(stack, '00000000-0000-4000-8000-000000000000', otherKey);
    assert.equal(foreign.response.status, 404);
    const { request_id: _a, ...foreignError } = foreign.body.error as Record<string, unknown>;
    const { request_id: _b, ...unknownError } = unknown.body.error as Record<string, unknown>;
    assert.deepEqual(foreignError, unknownError, 'indistinguishable from a launch that does not exist');

    const fhirBefore = (await recordedRequests(stack.sandbox, 'fhir')).length;
    const fhir = await proxyFetch(stack.gatewayUrl, otherKey, id, 'Patient/12724066');
    assert.equal(fhir.response.status, 404);
    assert.equal(fhir.body?.resourceType, 'OperationOutcome');
    assert.equal(
      (await recordedRequests(stack.sandbox, 'fhir')).length,
      fhirBefore,
      'nothing forwarded to the EHR',
    );
    const own = await proxyFetch(stack.gatewayUrl, stack.apiKey, id, 'Patient/12724066');
    assert.equal(own.response.status, 200, 'control: the owner reads FHIR');
  });

  it('redirects only to the EHR’s discovered authorize endpoint, whatever the launch request says', async () => {
    const iss = stack.sandbox.fhirBaseUrl;
    const issues = [
      `//${EVIL}`,
      `https://${EVIL}/r4`,
      `\\\\${EVIL}`,
      `/\\${EVIL}`,
      `https:%2F%2F${EVIL}`,
      `https://%65vil.example/r4`,
      `${iss}@${EVIL}`,
      `${iss}/../../${EVIL}`,
      `${iss}#@${EVIL}`,
      `https://${EVIL}/?${iss}`,
      iss.replace('://', `://${EVIL}\\@`),
      `https://127.0.0.1.${EVIL}/r4`,
      `javascript:alert(1)//${iss}`,
      '',
    ];
    for (const candidate of issues) {
      const { launch } = await sandboxLaunch(stack.sandbox, stack.clientId);
      const url = `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent(candidate)}&launch=${launch}`;
      const response = await fetch(url, { redirect: 'manual' });
      assertAllowedRedirect(response, `iss=${candidate}`);
      assert.equal(
        response.status >= 300 && response.status < 400,
        false,
        `iss=${candidate} must not redirect`,
      );
      assert.doesNotMatch(await response.text(), new RegExp(`href="[^"]*${EVIL}`));
    }

    const extras = [
      `redirect_uri=${encodeURIComponent(`https://${EVIL}/cb`)}`,
      `aud=${encodeURIComponent(`https://${EVIL}/r4`)}`,
      `next=${encodeURIComponent(`//${EVIL}`)}`,
      `return_to=${encodeURIComponent(`https://${EVIL}`)}`,
      `error_uri=${encodeURIComponent(`https://${EVIL}`)}`,
      `state=${encodeURIComponent(`https://${EVIL}`)}`,
      `iss=${encodeURIComponent(`https://${EVIL}/r4`)}`,
    ];
    for (const extra of extras) {
      const { launch, iss: launchIss } = await sandboxLaunch(stack.sandbox, stack.clientId);
      const url = `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent(launchIss)}&launch=${launch}&${extra}`;
      const response = await fetch(url, { redirect: 'manual' });
      assertAllowedRedirect(response, extra);
      await response.body?.cancel();
    }
    for (const launch of [`https://${EVIL}`, `//${EVIL}`, `/\\${EVIL}`]) {
      const response = await fetch(
        `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${encodeURIComponent(iss)}&launch=${encodeURIComponent(launch)}`,
        { redirect: 'manual' },
      );
      assertAllowedRedirect(response, `launch=${launch}`);
      await response.body?.cancel();
    }
  });

  it('redirects only to the App launch URL after the callback, whatever else the callback carries', async () => {
    const { ehrLaunch, authorizeUrl } = await startLaunch(stack);
    const back = await authorizeAtEhr(authorizeUrl, ehrLaunch.session_cookie);
    for (const [name, value] of [
      ['redirect_uri', `https://${EVIL}`],
      ['next', `//${EVIL}`],
      ['app_launch_url', `https://${EVIL}`],
      ['error_uri', `https://${EVIL}`],
    ]) {
      back.searchParams.append(name as string, value as string);
    }
    const response = await fetch(back, { redirect: 'manual' });
    assert.equal(response.status, 302);
    assertAllowedRedirect(response, 'callback with extra parameters');
    const location = new URL(response.headers.get('location') as string);
    const app = new URL(stack.appLaunchUrl);
    assert.deepEqual(
      [...location.searchParams.keys()].sort(),
      [...app.searchParams.keys(), 'mb_launch'].sort(),
      'only mb_launch is added to the App launch URL',
    );

    // An EHR error with an error_uri: a page naming it as text, never a redirect or a link.
    const refused = await startLaunch(stack);
    const state = refused.authorizeUrl.searchParams.get('state') as string;
    const error = await fetch(
      `${callback}?state=${state}&error=access_denied&error_uri=${encodeURIComponent(`https://${EVIL}/x`)}`,
      { redirect: 'manual' },
    );
    assert.equal(error.status, 502, 'the EHR’s refusal: oauth_error');
    assert.equal(error.headers.get('location'), null);
    const errorPage = await error.text();
    assert.match(errorPage, /oauth_error/);
    assert.match(errorPage, /access_denied/);
    assert.doesNotMatch(errorPage, new RegExp(`href="[^"]*${EVIL}`));

    for (const query of [
      `state=${encodeURIComponent(`//${EVIL}`)}&code=x`,
      `state=&code=&error_uri=//${EVIL}`,
      '',
    ]) {
      const junk = await fetch(`${callback}?${query}`, { redirect: 'manual' });
      assert.equal(junk.status, 400, query);
      assert.equal(junk.headers.get('location'), null, query);
      await junk.body?.cancel();
    }
  });
});

describe('console redirects', () => {
  let consoleApp: ConsoleApp;
  before(async () => {
    consoleApp = await startConsoleApp();
  });
  after(() => consoleApp.close());

  it('go only to same-origin /admin paths, whatever `next` says', async () => {
    const attempts = [
      `//${EVIL}`,
      `https://${EVIL}/admin`,
      `/\\${EVIL}`,
      `\\\\${EVIL}`,
      `/%2F${EVIL}`,
      `/admin/../..//${EVIL}`,
      `/admin@${EVIL}`,
      `javascript:alert(1)`,
      `/admin/launches?x=${EVIL}`,
      `%2F%2F${EVIL}`,
      `/admin\t//${EVIL}`,
    ];
    for (const next of attempts) {
      const client = new ConsoleClient(consoleApp.app);
      // The guard's own redirect to sign-in keeps `next` inside its query.
      const guard = await client.get(`/admin/launches?next=${encodeURIComponent(next)}`);
      assert.equal(guard.statusCode, 303);
      assert.match(String(guard.headers.location), /^\/admin\/sign-in\?next=/);

      const form = await client.get(`/admin/sign-in?next=${encodeURIComponent(next)}`);
      const response = await client.post('/admin/sign-in', {
        _csrf: csrfTokenOf(form.body),
        email: consoleApp.email,
        password: PASSWORD,
        next,
      });
      assert.equal(response.statusCode, 303, next);
      const location = String(response.headers.location);
      assert.match(location, /^\/admin(\/|$|\?)/, `${next} → ${location}`);
      assert.ok(!location.startsWith('//') && !location.includes('\\'), `${next} → ${location}`);
      const resolved = new URL(location, 'https://gw.example.org');
      assert.equal(resolved.origin, 'https://gw.example.org', `${next} → ${location}`);

      // Signed in, the same `next` on the sign-in page also stays home.
      const again = await client.get(`/admin/sign-in?next=${encodeURIComponent(next)}`);
      if (again.statusCode >= 300 && again.statusCode < 400) {
        assert.equal(
          new URL(String(again.headers.location), 'https://gw.example.org').origin,
          'https://gw.example.org',
        );
      }
    }
  });
});
