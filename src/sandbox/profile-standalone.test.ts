import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { RunningSandbox } from './index.ts';
import {
  discovered,
  EPIC_NONPROD_CLIENT_ID,
  EPIC_NONPROD_SECRET,
  PROFILE_REDIRECT_URI,
  profileCodeForm,
  SMART_CLIENT_ID,
  SMART_SECRET,
  startProfileSandbox,
} from './profile-test-support.ts';
import {
  basicAuth,
  cookiesFrom,
  get,
  pkcePair,
  postForm,
  redirectParams,
  sandboxForSuite,
} from './test-support.ts';

const NANCY = '12724066';

function pendingOf(page: string): string {
  const pending = /name="pending" value="([^"]+)"/.exec(page)?.[1];
  if (!pending) throw new Error('no pending id on the page');
  return pending;
}

async function session(sandbox: RunningSandbox, body: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${sandbox.origin}/_test/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { session_cookie: string }).session_cookie;
}

describe('standalone launch (launch-standalone)', () => {
  const sandbox = sandboxForSuite(startProfileSandbox);
  let smart: Record<string, unknown>;
  let epic: Record<string, unknown>;

  before(async () => {
    smart = await discovered(sandbox.smart.fhirBaseUrl);
    epic = await discovered(sandbox.epic.nonProduction.fhirBaseUrl);
  });

  function standaloneUrl(
    config: Record<string, unknown>,
    clientId: string,
    aud: string,
    scope: string,
    challenge: string,
  ) {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: PROFILE_REDIRECT_URI,
      scope,
      state: 'standalone-1',
      aud,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return `${String(config.authorization_endpoint)}?${query.toString()}`;
  }

  /** The SMART EHR's standalone authorize URL for the registered SMART app. */
  function smartStandaloneUrl(scope: string, challenge: string) {
    return standaloneUrl(smart, SMART_CLIENT_ID, sandbox.smart.fhirBaseUrl, scope, challenge);
  }

  it('SMART: sign-in page, then the patient picker, then the code with the picked patient', async () => {
    const { verifier, challenge } = pkcePair();
    const scope = 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs';
    const signInPage = await get(smartStandaloneUrl(scope, challenge));
    assert.equal(signInPage.status, 200);
    const signInHtml = await signInPage.text();
    assert.match(signInHtml, /action="\/smart-ehr\/auth\/sign-in"/);
    const pending = pendingOf(signInHtml);
    const signInUrl = `${sandbox.origin}/smart-ehr/auth/sign-in`;

    const wrong = await postForm(signInUrl, {
      pending,
      username: '<b>portal</b>',
      password: 'nope',
      action: 'sign-in',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.getSetCookie().length, 0);
    const wrongHtml = await wrong.text();
    assert.match(wrongHtml, /Invalid username or password/);
    assert.match(wrongHtml, /&lt;b&gt;portal&lt;\/b&gt;/);
    assert.doesNotMatch(wrongHtml, /<b>portal<\/b>/);

    const signedIn = await postForm(signInUrl, {
      pending,
      username: 'portal',
      password: 'portal',
      action: 'sign-in',
    });
    assert.equal(signedIn.status, 200);
    const cookie = cookiesFrom(signedIn);
    assert.match(cookie, /^sandbox_session=/);
    const pickerHtml = await signedIn.text();
    assert.match(pickerHtml, /Select a patient/);
    assert.match(pickerHtml, new RegExp(`value="${NANCY}"`));
    const pickerPending = pendingOf(pickerHtml);
    const pickUrl = `${sandbox.origin}/smart-ehr/auth/patient`;

    // Another user's session cannot answer this picker; the pending id is kept for the right one.
    const stranger = await postForm(
      pickUrl,
      { pending: pickerPending, patient: NANCY, action: 'select' },
      { cookie: await session(sandbox) },
    );
    assert.equal(stranger.status, 400);

    const picked = await postForm(
      pickUrl,
      { pending: pickerPending, patient: NANCY, action: 'select' },
      { cookie },
    );
    const found = redirectParams(picked);
    assert.equal(found.get('state'), 'standalone-1');
    const code = found.get('code') ?? '';
    const token = await postForm(String(smart.token_endpoint), profileCodeForm(code, verifier), {
      authorization: basicAuth(SMART_CLIENT_ID, SMART_SECRET),
    });
    const body = (await token.json()) as Record<string, unknown>;
    assert.equal(token.status, 200, JSON.stringify(body));
    assert.equal(body.patient, NANCY);
    assert.equal(body.encounter, undefined, 'no encounter in a standalone launch');
    assert.equal(body.scope, 'launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs');
    assert.equal(body.need_patient_banner, false);
    const read = await get(`${sandbox.smart.fhirBaseUrl}/Patient/${NANCY}`, {
      authorization: `Bearer ${body.access_token}`,
    });
    assert.equal(read.status, 200);
  });

  it('SMART: a signed-in user who picked a patient (test control) gets the code at once', async () => {
    const cookie = await session(sandbox, { patient: NANCY });
    const { challenge } = pkcePair();
    const url = smartStandaloneUrl('launch/patient patient/Patient.rs', challenge);
    const response = await get(url, { cookie });
    assert.equal(response.status, 302);
    assert.ok(redirectParams(response).get('code'));
  });

  it('SMART: cancelling the picker answers access_denied; without launch/patient there is no picker', async () => {
    const cookie = await session(sandbox);
    const { challenge } = pkcePair();
    const picker = await get(smartStandaloneUrl('launch/patient patient/Patient.rs', challenge), { cookie });
    const cancelled = await postForm(
      `${sandbox.origin}/smart-ehr/auth/patient`,
      { pending: pendingOf(await picker.text()), action: 'cancel' },
      { cookie },
    );
    assert.equal(redirectParams(cancelled).get('error'), 'access_denied');
    const withoutPicker = smartStandaloneUrl('openid user/Patient.rs patient/Patient.rs', challenge);
    const noPatient = await get(withoutPicker, { cookie });
    assert.equal(noPatient.status, 302);
    assert.ok(redirectParams(noPatient).get('code'));
  });

  it('Epic: sign-in, then the code without a patient picker (no patient for a clinician)', async () => {
    const { verifier, challenge } = pkcePair();
    const base = sandbox.epic.nonProduction.fhirBaseUrl;
    const page = await get(
      standaloneUrl(epic, EPIC_NONPROD_CLIENT_ID, base, 'launch/patient openid fhirUser', challenge),
    );
    assert.equal(page.status, 200);
    const signedIn = await postForm(`${sandbox.origin}/epic/nonprod/oauth2/authorize/sign-in`, {
      pending: pendingOf(await page.text()),
      username: 'portal',
      password: 'portal',
      action: 'sign-in',
    });
    const code = redirectParams(signedIn).get('code') ?? '';
    const token = await postForm(String(epic.token_endpoint), profileCodeForm(code, verifier), {
      authorization: basicAuth(EPIC_NONPROD_CLIENT_ID, EPIC_NONPROD_SECRET),
    });
    const body = (await token.json()) as Record<string, unknown>;
    assert.equal(token.status, 200, JSON.stringify(body));
    assert.equal(body.patient, undefined);
    assert.equal(body['__epic.dstu2.patient'], undefined);
    assert.equal(body.loginDepartment, undefined);
    assert.equal(
      body.scope,
      'user/Encounter.read user/Observation.read user/Patient.read user/Practitioner.read openid',
    );
    assert.equal(typeof body.id_token, 'string');
  });

  it('answers a stale or unknown pending id with a page, not a redirect', async () => {
    for (const path of [
      '/smart-ehr/auth/sign-in',
      '/smart-ehr/auth/patient',
      '/epic/prod/oauth2/authorize/sign-in',
    ]) {
      const response = await postForm(`${sandbox.origin}${path}`, {
        pending: '<script>x</script>',
        username: 'portal',
        password: 'portal',
      });
      assert.equal(response.status, 400, path);
      assert.equal(response.headers.get('location'), null);
      assert.doesNotMatch(await response.text(), /<script>x/);
    }
  });
});
