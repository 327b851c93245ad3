import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { safeReturnTo } from './session.ts';
import {
  APPLICATION_ID,
  authorizeUrl,
  CLIENT_ID,
  cookiesFrom,
  get,
  LAUNCH_URI,
  postForm,
  providerApp,
  REDIRECT_URI,
  redirectParams,
  sandboxForSuite,
  startTestSandbox,
} from './test-support.ts';

/** Value of a hidden or text input in a page. */
function inputValue(page: string, name: string): string | undefined {
  const match = new RegExp(`<input[^>]*name="${name}"[^>]*value="([^"]*)"`).exec(page);
  return match?.[1]?.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

function formAction(page: string): string {
  const match = /<form method="(?:post|get)" action="([^"]+)"/.exec(page);
  assert.ok(match, 'page has a form');
  return (match[1] as string).replace(/&amp;/g, '&');
}

describe('Code Console pages (guide "Test in the Cerner Code Sandbox")', () => {
  const sandbox = sandboxForSuite(() =>
    startTestSandbox({
      apps: [
        providerApp({
          name: 'medblocks <b>&</b>',
          jwksUrl: 'https://app.medblocks.com/api/auth/.well-known/jwks',
        }),
      ],
    }),
  );
  const appPage = () => `${sandbox.origin}/developer/smart-on-fhir/apps/${APPLICATION_ID}`;

  it('lists My Applications with type, Application ID and Client ID, and an enabled + New Application', async () => {
    const response = await get(`${sandbox.origin}/developer/smart-on-fhir/apps`);
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.ok(page.includes('My Applications'));
    assert.ok(page.includes('medblocks &lt;b&gt;&amp;&lt;/b&gt;'), 'the app name is escaped');
    assert.ok(!page.includes('<b>&</b>'));
    assert.ok(page.includes('<td>Provider</td>'));
    assert.ok(page.includes(APPLICATION_ID));
    assert.ok(page.includes(CLIENT_ID));
    assert.match(
      page,
      /<form method="get" action="\/developer\/smart-on-fhir\/apps\/new"[^>]*><button type="submit">\+ New Application<\/button><\/form>/,
    );
    assert.doesNotMatch(page, /<button[^>]*disabled/);
  });

  it('shows the app detail page with a Testing panel and the registration', async () => {
    const page = await (await get(appPage())).text();
    assert.ok(page.includes('<h2>Testing</h2>'));
    assert.ok(
      page.includes(`href="/developer/smart-on-fhir/apps/${APPLICATION_ID}/test-sandbox">Test Sandbox</a>`),
    );
    for (const text of [
      'Offline',
      'Confidential',
      'SMART v1',
      REDIRECT_URI,
      LAUNCH_URI,
      'Cerner Central System Account Details',
    ]) {
      assert.ok(page.includes(text), text);
    }
    assert.ok(page.includes(`href="/system-accounts/${CLIENT_ID}"`));
  });

  it('shows the Cerner Central system account with a masked secret and the JWKS URL', async () => {
    const page = await (await get(`${sandbox.origin}/system-accounts/${CLIENT_ID}`)).text();
    for (const text of [
      'LIMITED',
      'Yes',
      'ACTIVE',
      'https://app.medblocks.com/api/auth/.well-known/jwks',
      CLIENT_ID,
    ]) {
      assert.ok(page.includes(text), text);
    }
    assert.ok(!page.includes(providerApp().secret as string), 'secret is masked');
    // The secret is shown only to a signed-in developer, once, by a POST (console.test.ts).
    const query = await (await get(`${sandbox.origin}/system-accounts/${CLIENT_ID}?view=secret`)).text();
    assert.ok(!query.includes(providerApp().secret as string), 'no query parameter reveals it');
  });

  it('walks Test Sandbox: Select a Patient, demographics bar, Ready to launch with the launcher URL', async () => {
    const select = await (await get(`${appPage()}/test-sandbox`)).text();
    assert.ok(select.includes('Select a Patient'));
    assert.ok(select.includes('Do you want to display a demographics bar?'));
    for (const name of [
      'Wilma SMART',
      'Timmy SMART',
      'Nancy SMART',
      'Joe SMART',
      'Hailey SMART',
      'Tim PETERS',
    ]) {
      assert.ok(select.includes(name), name);
    }
    assert.match(select, /<input type="radio" name="banner" value="yes" checked>/);
    assert.equal(formAction(select), `/developer/smart-on-fhir/apps/${APPLICATION_ID}/test-sandbox/ready`);

    const missing = await get(`${appPage()}/test-sandbox/ready?banner=yes`);
    assert.equal(missing.status, 400);
    assert.ok((await missing.text()).includes('Select a patient to continue.'));

    const ready = await (await get(`${appPage()}/test-sandbox/ready?patient=12724065&banner=no`)).text();
    assert.ok(ready.includes('Ready to launch'));
    assert.ok(ready.includes('<code>portal</code>'));
    const href = /<a class="button" id="launch" href="([^"]+)" target="_blank"/
      .exec(ready)?.[1]
      ?.replace(/&amp;/g, '&');
    assert.ok(href);
    const launcher = new URL(href);
    assert.equal(launcher.pathname, `/smart/${sandbox.tenant}/apps/${APPLICATION_ID}/`);
    assert.deepEqual(Object.fromEntries(launcher.searchParams), {
      PAT_PersonId: '12724065',
      VIS_EncntrId: '97953483',
      USR_PersonId: '12742069',
      username: 'portal',
      need_patient_banner: 'false',
    });
  });

  it('answers 404 for an unknown application', async () => {
    assert.equal((await get(`${sandbox.origin}/developer/smart-on-fhir/apps/nope`)).status, 404);
  });
});

describe('EHR launcher (S2): login, consent, redirect to the SMART Launch URI', () => {
  const sandbox = sandboxForSuite(() =>
    startTestSandbox({ apps: [providerApp({ launchUri: `${LAUNCH_URI}?source=cerner` })] }),
  );
  let launcherUrl: string;

  before(() => {
    launcherUrl = `${sandbox.origin}/smart/${sandbox.tenant}/apps/${APPLICATION_ID}/?PAT_PersonId=12724065&VIS_EncntrId=97953483&USR_PersonId=12742069&username=portal&need_patient_banner=true`;
  });

  async function signIn(password = 'portal') {
    const first = await get(launcherUrl);
    assert.equal(first.status, 302);
    const loginUrl = new URL(first.headers.get('location') ?? '', sandbox.origin);
    assert.equal(loginUrl.pathname, '/login');
    const loginPage = await (await get(loginUrl.toString())).text();
    assert.ok(
      loginPage.includes('Username') && loginPage.includes('Password') && loginPage.includes('Remember me'),
    );
    assert.equal(inputValue(loginPage, 'installation'), 'C1941');
    assert.equal(inputValue(loginPage, 'username'), 'portal');
    const returnTo = inputValue(loginPage, 'return_to') ?? '';
    return postForm(`${sandbox.origin}${formAction(loginPage)}`, {
      return_to: returnTo,
      username: 'portal',
      password,
      installation: 'C1941',
      action: 'login',
    });
  }

  it('logs in as portal/portal, shows the consent prompt, and redirects to the launch URI with iss and launch', async () => {
    const login = await signIn();
    assert.equal(login.status, 303);
    const cookie = cookiesFrom(login);
    assert.match(cookie, /^sandbox_session=[0-9a-f-]{36}$/);
    assert.match(login.headers.getSetCookie()[0] ?? '', /HttpOnly/);
    assert.equal(new URL(login.headers.get('location') ?? '', sandbox.origin).toString(), launcherUrl);

    const consent = await get(launcherUrl, { cookie });
    assert.equal(consent.status, 200);
    const consentPage = await consent.text();
    assert.ok(consentPage.includes('Cerner practitioner app <strong>medblocks</strong>'));
    assert.ok(consentPage.includes('authorized by Cerner FHIR Public Sandbox'));
    assert.ok(consentPage.includes("SMART, WILMA's patient data"));
    assert.ok(consentPage.includes('Approve Connection'));
    assert.ok(consentPage.includes('Cancel'));

    const approve = await postForm(
      `${sandbox.origin}${formAction(consentPage)}`,
      { consent_id: inputValue(consentPage, 'consent_id') ?? '', decision: 'approve' },
      { cookie },
    );
    assert.equal(approve.status, 303);
    const location = new URL(approve.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, LAUNCH_URI);
    assert.equal(location.searchParams.get('source'), 'cerner', 'existing launch URI query is kept');
    assert.equal(location.searchParams.get('iss'), sandbox.fhirBaseUrl);
    const launch = location.searchParams.get('launch') ?? '';
    assert.match(launch, /^[0-9a-f-]{36}$/);

    // The app's authorize request in the same browser sees the signed-in user.
    const authorize = await get(
      authorizeUrl(sandbox, {
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT_URI,
        scope: 'launch openid fhirUser user/Patient.read',
        state: 's1',
        aud: sandbox.fhirBaseUrl,
        launch,
      }),
      { cookie },
    );
    assert.equal(authorize.status, 302);
    const params = redirectParams(authorize);
    assert.ok(params.get('code'));
    assert.equal(params.get('state'), 's1');
  });

  it('shows an inline error for wrong credentials', async () => {
    const login = await signIn('wrong');
    assert.equal(login.status, 401);
    assert.equal(login.headers.getSetCookie().length, 0);
    assert.ok((await login.text()).includes('Invalid username or password.'));
  });

  it('shows "Connection not approved" when the user cancels, and creates no launch', async () => {
    const cookie = cookiesFrom(await signIn());
    const consentPage = await (await get(launcherUrl, { cookie })).text();
    const cancel = await postForm(
      `${sandbox.origin}${formAction(consentPage)}`,
      { consent_id: inputValue(consentPage, 'consent_id') ?? '', decision: 'cancel' },
      { cookie },
    );
    assert.equal(cancel.status, 200);
    assert.ok((await cancel.text()).includes('Connection not approved'));
  });

  it('does not accept a consent from another session', async () => {
    const cookie = cookiesFrom(await signIn());
    const consentPage = await (await get(launcherUrl, { cookie })).text();
    const otherCookie = cookiesFrom(await signIn());
    const approve = await postForm(
      `${sandbox.origin}${formAction(consentPage)}`,
      { consent_id: inputValue(consentPage, 'consent_id') ?? '', decision: 'approve' },
      { cookie: otherCookie },
    );
    assert.equal(approve.status, 400);
    assert.equal(approve.headers.get('location'), null);
  });

  it('rejects an unknown patient with the invalid-patient-id page', async () => {
    const response = await get(launcherUrl.replace('PAT_PersonId=12724065', 'PAT_PersonId=1'));
    assert.equal(response.status, 400);
    assert.ok(
      (await response.text()).includes(
        'urn:cerner:error:authorization-server:oauth2:grant:invalid-patient-id',
      ),
    );
  });

  it('escapes values it echoes on the login page and refuses off-site return_to', async () => {
    const page = await (
      await get(`${sandbox.origin}/login?username=%22%3E%3Cscript%3Ex%3C/script%3E&return_to=//evil.example/`)
    ).text();
    assert.ok(!page.includes('<script>x</script>'));
    assert.ok(page.includes('&quot;&gt;&lt;script&gt;'));
    assert.equal(inputValue(page, 'return_to'), '/');
  });

  it('only returns to same-origin paths after sign-in', () => {
    assert.equal(safeReturnTo('/smart/t/apps/a/?PAT_PersonId=1'), '/smart/t/apps/a/?PAT_PersonId=1');
    for (const unsafe of [
      '//evil.example/',
      '/\\evil.example',
      '/\t/evil.example',
      'https://evil.example/',
      '',
      undefined,
    ]) {
      assert.equal(safeReturnTo(unsafe), '/', String(unsafe));
    }
  });
});
