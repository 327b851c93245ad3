import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  ConsoleBrowser,
  detail,
  fieldError,
  GUIDE_REGISTRATION,
  inputValue,
} from './console-test-support.ts';
import { sandboxForSuite, startTestSandbox } from './test-support.ts';

const APPS = '/developer/smart-on-fhir/apps';

describe('Code Console sign-in (the guide: "sign in with your Cerner Code account")', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [] }));

  it('sends + New Application to Sign in first, and back to it afterwards', async () => {
    const browser = new ConsoleBrowser(sandbox.origin);
    const start = await browser.get(`${APPS}/new`);
    assert.equal(start.status, 303);
    assert.equal(start.location, `/developer/sign-in?return_to=${encodeURIComponent(`${APPS}/new`)}`);
    const form = await browser.follow(start);
    assert.match(form.text, /<label for="username">Username<\/label>/);
    assert.match(form.text, /<label for="password">Password<\/label>/);

    const wrong = await browser.post('/developer/sign-in', {
      username: 'developer',
      password: 'wrong',
      return_to: `${APPS}/new`,
    });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /role="alert">That username and password do not match a Cerner Code account\./);
    assert.equal(inputValue(wrong.text, 'username'), 'developer', 'the username is kept');

    const right = await fetch(`${sandbox.origin}/developer/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'developer', password: 'developer', return_to: `${APPS}/new` }),
      redirect: 'manual',
    });
    assert.equal(right.status, 303);
    assert.equal(right.headers.get('location'), `${APPS}/new`);
    const cookie = right.headers.getSetCookie().join('; ');
    assert.match(cookie, /^sandbox_code_console=[0-9a-f-]{36}; Path=\/; HttpOnly; SameSite=Lax/);
  });

  it('never returns to another origin after sign-in', async () => {
    const browser = new ConsoleBrowser(sandbox.origin);
    const answer = await browser.post('/developer/sign-in', {
      username: 'developer',
      password: 'developer',
      return_to: '//evil.example/x',
    });
    assert.equal(answer.location, APPS);
  });
});

describe('+ New Application: the wizard', () => {
  const sandbox = sandboxForSuite(() => startTestSandbox({ apps: [] }));
  let browser: ConsoleBrowser;
  before(async () => {
    browser = new ConsoleBrowser(sandbox.origin);
    await browser.signIn();
  });

  it('shows My Applications empty, with an enabled + New Application', async () => {
    const page = await browser.get(APPS);
    assert.match(page.text, /<button type="submit">\+ New Application<\/button>/);
    assert.match(page.text, /No applications are registered yet/);
  });

  it('labels every field of step 1 as the guide spells it', async () => {
    const page = await browser.follow(await browser.get(`${APPS}/new`));
    for (const label of ['Application Name', 'Application Owner', 'Redirect URI', 'SMART Launch URI']) {
      assert.match(page.text, new RegExp(`<label for="[a-z_]+">${label}</label>`), label);
    }
    for (const legend of [
      'Application Type',
      'Type of Access',
      'Application Privacy',
      'SMART Version',
      'Intended Users',
      'Intended Purposes',
      'Default FHIR Version',
    ]) {
      assert.ok(page.text.includes(`<legend>${legend}</legend>`), legend);
    }
    for (const choice of [
      'Provider',
      'Patient',
      'System',
      'Offline',
      'Online',
      'Confidential',
      'Public',
      'SMART v1',
      'SMART v2',
      'Clinical Team',
      'Clinical Tools',
      'Patient-Provider Communication',
      'R4',
      'DSTU2',
    ]) {
      assert.match(
        page.text,
        new RegExp(
          `<input type="(radio|checkbox)" id="[a-z_]+-\\d+" name="[a-z_:0-9]+"[^>]*>${choice}</label>`,
        ),
        choice,
      );
    }
    assert.match(
      page.text,
      /<button type="submit" name="action" value="add-redirect-uri"[^>]*>\+ Add more<\/button>/,
    );
  });

  it('puts each check’s message beside its field, and keeps what was typed', async () => {
    await browser.follow(await browser.get(`${APPS}/new`));
    const answer = await browser.post(`${APPS}/new/basic-information`, {
      application_name: 'medblocks',
      redirect_uri: 'not a uri',
      smart_launch_uri: 'ftp://x',
      action: 'next',
    });
    assert.equal(answer.status, 400);
    assert.match(answer.text, /role="alert">\d+ fields need attention/);
    assert.equal(fieldError(answer.text, 'application_name'), undefined);
    assert.equal(
      fieldError(answer.text, 'application_owner'),
      'Enter the Application Owner (your company name).',
    );
    assert.equal(fieldError(answer.text, 'application_type'), 'Choose an Application Type.');
    assert.equal(fieldError(answer.text, 'type_of_access'), 'Choose a Type of Access.');
    assert.match(fieldError(answer.text, 'redirect_uri') ?? '', /absolute URI/);
    assert.match(fieldError(answer.text, 'smart_launch_uri') ?? '', /http\(s\) URL/);
    assert.match(
      answer.text,
      /id="redirect_uri" name="redirect_uri" value="not a uri"[^>]* aria-invalid="true" aria-describedby="redirect_uri-hint redirect_uri-error"/,
    );
    assert.equal(inputValue(answer.text, 'application_name'), 'medblocks');
  });

  it('+ Add more adds a Redirect URI row and keeps the others', async () => {
    await browser.follow(await browser.get(`${APPS}/new`));
    const { redirect_uri_2: _third, ...twoRows } = GUIDE_REGISTRATION.basic;
    const answer = await browser.post(`${APPS}/new/basic-information`, {
      ...twoRows,
      action: 'add-redirect-uri',
    });
    assert.equal(answer.status, 200);
    assert.equal(
      inputValue(answer.text, 'redirect_uri_1'),
      'https://dev.app.medblocks.com/api/auth/smart/launch-callback',
    );
    assert.match(answer.text, /<label for="redirect_uri_2">Additional Redirect URI 2<\/label>/);
    assert.match(answer.text, /id="redirect_uri_2" name="redirect_uri_2" value=""[^>]* autofocus/);
  });

  it('Back and Next keep every step’s values; later steps open only after the earlier ones', async () => {
    await browser.follow(await browser.get(`${APPS}/new`));
    const skipped = await browser.get(`${APPS}/new/api-access`);
    assert.equal(skipped.location, `${APPS}/new/basic-information`);

    const next = await browser.post(`${APPS}/new/basic-information`, {
      ...GUIDE_REGISTRATION.basic,
      action: 'next',
    });
    assert.equal(next.location, `${APPS}/new/product-selection`);
    const products = await browser.follow(next);
    assert.match(products.text, /<legend>Product Family<\/legend>/);
    assert.match(products.text, />Oracle Health FHIR APIs for Millennium: FHIR R4, All<\/label>/);
    assert.match(products.text, />Oracle Health EHR APIs for Millennium<\/label>/);

    const back = await browser.post(`${APPS}/new/product-selection`, {
      product_family: 'Millennium',
      action: 'back',
    });
    assert.equal(back.location, `${APPS}/new/basic-information`);
    const again = await browser.follow(back);
    assert.equal(
      inputValue(again.text, 'redirect_uri_2'),
      'http://localhost:3000/api/auth/smart/launch-callback',
    );
    assert.match(again.text, /value="offline" checked>Offline/);
    const forward = await browser.follow(
      await browser.post(`${APPS}/new/basic-information`, { ...GUIDE_REGISTRATION.basic, action: 'next' }),
    );
    assert.match(
      forward.text,
      /value="Millennium" checked>Millennium/,
      'the product family chosen before Back is kept',
    );

    const soarian = await browser.post(`${APPS}/new/product-selection`, {
      product_family: 'Soarian',
      action: 'next',
    });
    assert.equal(soarian.status, 400);
    assert.match(fieldError(soarian.text, 'product_family') ?? '', /Choose Millennium/);
    assert.match(
      fieldError(soarian.text, 'products') ?? '',
      /Tick Oracle Health FHIR APIs for Millennium: FHIR R4, All/,
    );

    const api = await browser.follow(
      await browser.post(`${APPS}/new/product-selection`, { ...GUIDE_REGISTRATION.products, action: 'next' }),
    );
    assert.match(api.text, /<table aria-label="User Product APIs">/);
    assert.match(api.text, /<table aria-label="Patient Product APIs">/);
    for (const resource of [
      'Patient',
      'Encounter',
      'Observation',
      'Condition',
      'AllergyIntolerance',
      'MedicationRequest',
      'Practitioner',
    ]) {
      assert.match(
        api.text,
        new RegExp(
          `<input type="checkbox" id="user-${resource}-read" name="user:${resource}:read"><label for="user-${resource}-read" class="sr-only">Read</label>`,
        ),
        resource,
      );
    }
    const none = await browser.post(`${APPS}/new/api-access`, { action: 'next' });
    assert.equal(none.status, 400);
    assert.match(fieldError(none.text, 'api_access') ?? '', /Tick Read or Write on at least one resource/);
  });

  it('refuses a step posted without the session’s CSRF token, registering nothing', async () => {
    browser.csrf = 'forged';
    const answer = await browser.post(`${APPS}/new/review`, { action: 'submit' });
    assert.equal(answer.status, 403);
    await browser.get(APPS);
    assert.doesNotMatch((await browser.get(APPS)).text, /<td><a href/);
  });

  it('Submit registers the app and opens its Application Details page with everything registered', async () => {
    const { applicationId, clientId, detail: page } = await browser.register();
    assert.match(applicationId, /^[0-9a-f-]{36}$/);
    assert.match(clientId, /^[0-9a-f-]{36}$/);
    assert.match(page, /role="status">Application registered\. Client ID /);
    assert.equal(detail(page, 'Application Type'), 'Provider');
    assert.equal(detail(page, 'Type of Access'), 'Offline');
    assert.equal(detail(page, 'Application Privacy'), 'Confidential');
    assert.equal(detail(page, 'SMART Version'), 'SMART v1');
    assert.equal(detail(page, 'Intended Users'), 'Clinical Team');
    assert.equal(detail(page, 'Intended Purposes'), 'Clinical Tools');
    assert.equal(detail(page, 'Application Owner'), 'Medblocks');
    assert.equal(detail(page, 'Redirect URI'), 'https://app.medblocks.com/api/auth/smart/launch-callback');
    assert.equal(
      detail(page, 'Additional Redirect URIs'),
      'https://dev.app.medblocks.com/api/auth/smart/launch-callback<br>http://localhost:3000/api/auth/smart/launch-callback',
    );
    assert.equal(detail(page, 'SMART Launch URI'), 'http://localhost:3000/api/auth/smart/launch/org_123');
    assert.match(
      page,
      /<code id="registered-scopes">user\/Patient\.read user\/Encounter\.read user\/Observation\.read<\/code>/,
    );
    assert.match(
      page,
      /<a class="button" href="\/developer\/smart-on-fhir\/apps\/[0-9a-f-]+\/test-sandbox">Test Sandbox<\/a>/,
    );
    assert.match(
      page,
      new RegExp(`<a href="/system-accounts/${clientId}">Cerner Central System Account Details</a>`),
    );
    assert.doesNotMatch(page, /id="launch-uri-warning"/);
    const list = await browser.get(APPS);
    assert.match(
      list.text,
      new RegExp(`<td><code>${applicationId}</code></td>\\s*<td><code>${clientId}</code></td>`),
    );
  });

  it('Edit changes the URIs, and warns when the SMART Launch URI is the callback path', async () => {
    const { applicationId } = await browser.register();
    const editPath = `${APPS}/${applicationId}/edit`;
    const form = await browser.get(editPath);
    assert.equal(
      inputValue(form.text, 'smart_launch_uri'),
      'http://localhost:3000/api/auth/smart/launch/org_123',
    );
    const bad = await browser.post(editPath, {
      redirect_uri: '',
      smart_launch_uri: 'http://localhost:3000/x',
      action: 'save',
    });
    assert.equal(bad.status, 400);
    assert.equal(fieldError(bad.text, 'redirect_uri'), 'Enter the Redirect URI (the OAuth callback).');
    const saved = await browser.post(editPath, {
      redirect_uri: 'http://localhost:3000/api/auth/smart/launch-callback',
      redirect_uri_1: '',
      smart_launch_uri: 'http://localhost:3000/api/auth/smart/launch-callback',
      action: 'save',
    });
    assert.equal(saved.location, `${APPS}/${applicationId}`);
    const page = (await browser.follow(saved)).text;
    assert.match(page, /role="status">Saved the URIs\./);
    assert.equal(detail(page, 'Additional Redirect URIs'), 'None', 'an emptied row is removed');
    assert.match(
      page,
      /id="launch-uri-warning"><strong>Check the SMART Launch URI\.<\/strong> The SMART Launch URI ends with the callback path \(\/api\/auth\/smart\/launch-callback\) instead of \/api\/auth\/smart\/launch\/&lt;your-org-id&gt;/,
    );
  });
});
