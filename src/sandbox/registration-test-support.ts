/**
 * For the tests of what a registration enforces: the secret as Cerner Central's View shows it,
 * a code for a registered client (a test-control launch, then authorize with PKCE), and the
 * token answer for that code.
 */
import assert from 'node:assert/strict';
import type { ConsoleBrowser } from './console-test-support.ts';
import type { RunningSandbox } from './index.ts';
import {
  authorizeUrl,
  basicAuth,
  codeForm,
  exchange,
  get,
  pkcePair,
  REDIRECT_URI,
  redirectParams,
  testLaunch,
} from './test-support.ts';

/** View on Cerner Central: the secret (shown once). */
export async function viewSecret(browser: ConsoleBrowser, clientId: string): Promise<string> {
  await browser.get(`/system-accounts/${clientId}`);
  const page = await browser.post(`/system-accounts/${clientId}/secret/view`, {});
  const secret = /<code class="secret" id="client-secret">([^<]+)<\/code>/.exec(page.text)?.[1];
  assert.ok(secret, 'View showed the secret');
  return secret.replaceAll('&#39;', "'");
}

/** Launch (test control) + authorize for a registered client; returns the code or the redirect's error. */
export async function authorizeAs(
  sandbox: RunningSandbox,
  clientId: string,
  params: Record<string, string>,
  profile: 'smart-v1' | 'smart-v2' = 'smart-v1',
) {
  const launch = await testLaunch(sandbox, { client_id: clientId });
  const url = authorizeUrl(sandbox, {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    state: 'st',
    aud: launch.iss,
    launch: launch.launch,
    ...params,
  }).replace('/smart-v1/', `/${profile}/`);
  return get(url, { cookie: launch.session_cookie });
}

export async function codeFor(
  sandbox: RunningSandbox,
  clientId: string,
  scope: string,
  profile: 'smart-v1' | 'smart-v2' = 'smart-v1',
) {
  const { verifier, challenge } = pkcePair();
  const response = await authorizeAs(
    sandbox,
    clientId,
    { scope, code_challenge: challenge, code_challenge_method: 'S256' },
    profile,
  );
  const code = redirectParams(response).get('code');
  assert.ok(code, `a code (got ${response.headers.get('location')})`);
  return { code, verifier };
}

/** A registered confidential client's token answer: View's secret, a code, then client_secret_basic. */
export async function tokensFor(
  sandbox: RunningSandbox,
  browser: ConsoleBrowser,
  clientId: string,
  scope: string,
  profile: 'smart-v1' | 'smart-v2' = 'smart-v1',
) {
  const secret = await viewSecret(browser, clientId);
  const { code, verifier } = await codeFor(sandbox, clientId, scope, profile);
  return exchange(sandbox, codeForm(code, verifier), { authorization: basicAuth(clientId, secret) });
}
