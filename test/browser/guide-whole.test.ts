/**
 * The whole Cerner provider-app guide, in Debian's Chromium, from an empty data folder: `npm
 * start`, sign in to the sandbox's Code Console, register a Provider app through the wizard
 * with the guide's values, configure Chartside (Connections → Cerner), set and Test the JWKS URL
 * on Cerner Central, launch from Test Sandbox (Wilma, demographics bar Yes, portal/portal,
 * Approve Connection) onto the launch-debug page; then the guide's failure cases. Each step is a
 * screenshot (test-artifacts/screenshots/guide-*.png); `npm run docs:guide` also writes them to
 * docs/guide/ for docs/guide.md.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inPage } from '../support/admin-browser.ts';
import { ARTIFACTS, launchBrowser, screenshot } from '../support/browser.ts';
import { type DevProcess, startDev } from '../support/dev-process.ts';

const GUIDE = {
  name: 'medblocks',
  owner: 'Medblocks',
  redirectUri: 'https://app.medblocks.com/api/auth/smart/launch-callback',
  devRedirectUri: 'https://dev.app.medblocks.com/api/auth/smart/launch-callback',
};

/** A screenshot of one guide step; with GUIDE_DOCS_DIR (npm run docs:guide) kept for docs/guide.md. */
async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, `guide-${name}`);
  const docs = process.env.GUIDE_DOCS_DIR;
  if (docs) {
    mkdirSync(docs, { recursive: true });
    copyFileSync(join(ARTIFACTS, `guide-${name}.png`), join(docs, `${name}.png`));
  }
}

describe('the whole guide, offline, in Chromium', () => {
  let dataDir: string;
  let dev: DevProcess;
  let browser: Browser;
  let context: BrowserContext;
  /** The Code Console and Cerner Central tab. */
  let ehr: Page;
  /** Chartside's console tab. */
  let chartside: Page;
  let gateway: string;
  let clientId = '';
  const copied: Record<string, string> = {};

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chartside-guide-'));
    dev = await startDev(dataDir);
    gateway = new URL(dev.printed.openThis).origin;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gateway });
    ehr = await context.newPage();
    chartside = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Copy with Chartside's Copy button, read back from the clipboard (what a person pastes). */
  async function copyFromChartside(label: string): Promise<string> {
    const button = chartside.getByRole('button', { name: `Copy ${label}` });
    await button.click();
    await button.filter({ hasText: 'Copied' }).waitFor();
    copied[label] = await inPage<string>(chartside, 'navigator.clipboard.readText()');
    return copied[label] as string;
  }

  async function openCernerConnection(): Promise<void> {
    await chartside.bringToFront();
    await chartside
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Settings', exact: true })
      .click();
    await chartside
      .locator('main')
      .getByRole('link', { name: /Connections/ })
      .click();
    await chartside.getByRole('link', { name: 'Cerner', exact: true }).click();
    await chartside.getByRole('heading', { name: 'Cerner Clinical Workflow' }).waitFor();
  }

  async function openApplication(): Promise<void> {
    await ehr.bringToFront();
    await ehr.goto(dev.printed.codeConsole);
    await ehr.getByRole('link', { name: GUIDE.name }).click();
    await ehr.getByRole('heading', { name: GUIDE.name, level: 1 }).waitFor();
  }

  /** Test Sandbox → Wilma → demographics bar Yes → Next → Launch: the launch window. */
  async function launchWilma(shots?: { select: string; ready: string }): Promise<Page> {
    await openApplication();
    await ehr.getByRole('link', { name: 'Test Sandbox' }).click();
    await ehr
      .getByRole('row', { name: /Wilma SMART/ })
      .getByRole('radio')
      .check();
    assert.equal(
      await ehr.getByRole('radio', { name: 'Yes' }).isChecked(),
      true,
      'the demographics bar stays on Yes',
    );
    if (shots) await shoot(ehr, shots.select);
    await ehr.getByRole('button', { name: 'Next' }).click();
    await ehr.getByRole('heading', { name: 'Ready to launch' }).waitFor();
    if (shots) await shoot(ehr, shots.ready);
    const [launchWindow] = await Promise.all([
      context.waitForEvent('page'),
      ehr.getByRole('link', { name: 'Launch' }).click(),
    ]);
    await launchWindow.waitForLoadState();
    return launchWindow;
  }

  async function approve(launchWindow: Page): Promise<void> {
    await launchWindow.getByRole('button', { name: 'Approve Connection' }).click();
    await launchWindow.waitForLoadState();
  }

  async function editUris(change: (page: Page) => Promise<void>): Promise<void> {
    await openApplication();
    await ehr.getByRole('link', { name: 'Edit', exact: true }).click();
    await change(ehr);
    await ehr.getByRole('button', { name: 'Save' }).click();
    await ehr.getByText('Saved the URIs.').waitFor();
  }

  it('npm start prints one URL to open; its page links the console and the sandbox’s Code Console', async () => {
    await ehr.goto(dev.printed.openThis);
    await ehr.getByRole('heading', { name: 'Chartside', level: 1 }).waitFor();
    await shoot(ehr, '00-landing');
    await ehr.getByRole('link', { name: 'Local Cerner sandbox: Code Console' }).click();
    await ehr.getByRole('heading', { name: 'My Applications' }).waitFor();
  });

  it('signs in to the Code Console and lands on My Applications', async () => {
    await ehr.getByRole('link', { name: 'Sign in' }).click();
    await ehr.getByLabel('Username').fill('developer');
    await ehr.getByLabel('Password').fill('developer');
    await shoot(ehr, '01-code-console-sign-in');
    await ehr.getByRole('button', { name: 'Sign in' }).click();
    await ehr.getByRole('heading', { name: 'My Applications' }).waitFor();
    assert.equal(new URL(ehr.url()).pathname, '/developer/smart-on-fhir/apps');
    assert.equal(await ehr.getByRole('button', { name: '+ New Application' }).isEnabled(), true);
    await shoot(ehr, '02-my-applications');
  });

  it('reads the org’s Launch URL and Redirect URI off Chartside (Settings → Connections → Cerner)', async () => {
    await chartside.goto(`${gateway}/admin/sign-in`);
    await chartside.getByLabel('Email').fill(dev.printed.adminEmail);
    await chartside.getByLabel('Password').fill(dev.printed.adminPassword);
    await chartside.getByRole('button', { name: 'Sign in' }).click();
    await chartside.waitForURL(`${gateway}/admin/launches`);
    await openCernerConnection();
    assert.equal(
      await copyFromChartside('Launch URL'),
      `${gateway}/api/auth/smart/launch/${dev.printed.organization}`,
    );
    assert.equal(await copyFromChartside('Redirect URI'), `${gateway}/api/auth/smart/launch-callback`);
    assert.equal(await copyFromChartside('JWKS URI'), `${gateway}/api/auth/.well-known/jwks`);
  });

  it('registers a Provider app through the wizard with the guide’s values', async () => {
    await ehr.bringToFront();
    await ehr.getByRole('button', { name: '+ New Application' }).click();
    await ehr.getByRole('heading', { name: 'Basic Information' }).waitFor();
    // Next on an empty step: each message sits beside its field.
    await ehr.getByRole('button', { name: 'Next' }).click();
    await ehr.locator('#application_name-error').waitFor();
    assert.equal(await ehr.locator('#application_name-error').textContent(), 'Enter an Application Name.');
    assert.equal(await ehr.getByLabel('Application Name').getAttribute('aria-invalid'), 'true');
    await shoot(ehr, '03-wizard-validation');

    await ehr.getByLabel('Application Name').fill(GUIDE.name);
    await ehr.getByLabel('Application Owner').fill(GUIDE.owner);
    await ehr.getByRole('radio', { name: 'Provider' }).check();
    await ehr.getByRole('radio', { name: 'Offline' }).check();
    await ehr.getByRole('radio', { name: 'Confidential' }).check();
    await ehr.getByRole('radio', { name: 'SMART v1' }).check();
    await ehr.getByRole('checkbox', { name: 'Clinical Team' }).check();
    await ehr.getByRole('checkbox', { name: 'Clinical Tools' }).check();
    await ehr.getByLabel('Redirect URI', { exact: true }).fill(GUIDE.redirectUri);
    await ehr.getByLabel('SMART Launch URI').fill(copied['Launch URL'] as string);
    await ehr.getByRole('radio', { name: 'R4', exact: true }).check();
    // "Use + Add more for additional environments".
    await ehr.getByRole('button', { name: '+ Add more' }).click();
    await ehr.getByLabel('Additional Redirect URI 1').fill(GUIDE.devRedirectUri);
    await ehr.getByRole('button', { name: '+ Add more' }).click();
    await ehr.getByLabel('Additional Redirect URI 2').fill(copied['Redirect URI'] as string);
    await ehr.getByRole('heading', { name: 'Basic Information' }).scrollIntoViewIfNeeded();
    await shoot(ehr, '04-basic-information');
    await ehr.getByRole('button', { name: 'Next' }).click();

    await ehr.getByRole('heading', { name: 'Product Selection' }).waitFor();
    await ehr.getByRole('radio', { name: 'Millennium' }).check();
    await ehr.getByRole('checkbox', { name: 'Oracle Health FHIR APIs for Millennium: FHIR R4, All' }).check();
    assert.equal(
      await ehr.getByRole('checkbox', { name: 'Oracle Health EHR APIs for Millennium' }).isChecked(),
      false,
    );
    await shoot(ehr, '05-product-selection');
    // Back keeps step 1 as typed; Next keeps this step.
    await ehr.getByRole('button', { name: 'Back' }).click();
    assert.equal(await ehr.getByLabel('Additional Redirect URI 2').inputValue(), copied['Redirect URI']);
    assert.equal(await ehr.getByRole('radio', { name: 'Offline' }).isChecked(), true);
    await ehr.getByRole('button', { name: 'Next' }).click();
    assert.equal(await ehr.getByRole('radio', { name: 'Millennium' }).isChecked(), true);
    await ehr.getByRole('button', { name: 'Next' }).click();

    await ehr.getByRole('heading', { name: 'API Access' }).waitFor();
    const userApis = ehr.getByRole('table', { name: 'User Product APIs' });
    for (const resource of ['Patient', 'Encounter', 'Observation']) {
      await userApis
        .getByRole('row', { name: new RegExp(`^${resource} `) })
        .getByRole('checkbox', { name: 'Read' })
        .check();
    }
    assert.equal(
      await ehr
        .getByRole('table', { name: 'Patient Product APIs' })
        .getByRole('checkbox', { checked: true })
        .count(),
      0,
    );
    await shoot(ehr, '06-api-access');
    await ehr.getByRole('button', { name: 'Next' }).click();

    await ehr.getByRole('heading', { name: 'Review' }).waitFor();
    await shoot(ehr, '07-review');
    await ehr.getByRole('button', { name: 'Submit' }).click();
    await ehr.getByText('Application registered.').waitFor();
    clientId = ((await ehr.locator('#client-id').textContent()) ?? '').trim();
    assert.match(clientId, /^[0-9a-f-]{36}$/);
    const registered = async (label: string) =>
      (await ehr.locator(`dt:text-is("${label}") + dd`).textContent())?.trim();
    assert.equal(await registered('Application Type'), 'Provider');
    assert.equal(await registered('Type of Access'), 'Offline');
    assert.equal(await registered('Application Privacy'), 'Confidential');
    assert.equal(await registered('SMART Version'), 'SMART v1');
    assert.equal(await registered('Redirect URI'), GUIDE.redirectUri);
    assert.equal(await registered('SMART Launch URI'), copied['Launch URL']);
    assert.equal(await ehr.locator('#launch-uri-warning').count(), 0);
    await shoot(ehr, '08-application-details');
  });

  it('configures Chartside: custom credentials on, the new Client ID, private_key_jwt; Save', async () => {
    await openCernerConnection();
    await chartside.getByRole('switch', { name: 'Use custom credentials' }).check();
    await chartside.getByLabel('Client ID').fill(clientId);
    await chartside.getByLabel('Authentication method').selectOption('private_key_jwt');
    await shoot(chartside, '09-chartside-cerner-connection');
    await chartside.getByRole('button', { name: 'Save' }).click();
    await chartside.getByText('Saved the Cerner connection.').waitFor();
    assert.equal(await chartside.getByLabel('Client ID').inputValue(), clientId);
  });

  it('sets the JSON Web Key Set URL on Cerner Central, and Test passes with Chartside’s keys', async () => {
    await openApplication();
    await ehr.getByRole('link', { name: 'Cerner Central System Account Details' }).click();
    await ehr.getByRole('heading', { name: 'Cerner Central System Accounts' }).waitFor();
    assert.equal(
      (await ehr.locator('#account-id').textContent())?.trim(),
      clientId,
      'Account ID = Client ID',
    );
    await shoot(ehr, '10-system-account');
    await ehr.getByRole('link', { name: 'Edit', exact: true }).click();
    await ehr.getByRole('radio', { name: 'URL (Strongly Recommended)' }).check();
    await ehr.getByLabel('JSON Web Key Set URL').fill(copied['JWKS URI'] as string);
    await shoot(ehr, '11-edit-jwks');
    await ehr.getByRole('button', { name: 'Save' }).click();
    await ehr.getByText('Saved the JSON Web Key Set URL.').waitFor();
    await ehr.getByRole('button', { name: 'Test' }).click();
    const result = ehr.locator('#jwks-test-result');
    await result.waitFor();
    assert.match((await result.textContent()) ?? '', /Test passed\. Found \d+ public keys? at /);
    const jwks = (await (await fetch(copied['JWKS URI'] as string)).json()) as { keys: { kid: string }[] };
    for (const key of jwks.keys)
      assert.ok(await ehr.getByRole('cell', { name: key.kid }).isVisible(), key.kid);
    await shoot(ehr, '12-jwks-test');
  });

  it('Test Sandbox → Wilma → Launch → portal/portal → Approve Connection lands on launch-debug with the context', async () => {
    const launchWindow = await launchWilma({ select: '13-select-patient', ready: '14-ready-to-launch' });
    await launchWindow.getByLabel('Username').fill('portal');
    await launchWindow.getByLabel('Password').fill('portal');
    await shoot(launchWindow, '15-oracle-health-login');
    await launchWindow.getByRole('button', { name: 'Log In' }).click();
    await launchWindow.getByRole('button', { name: 'Approve Connection' }).waitFor();
    assert.match((await launchWindow.textContent('body')) ?? '', /SMART, WILMA's patient data/);
    await shoot(launchWindow, '16-approve-connection');
    await approve(launchWindow);
    await launchWindow.waitForURL(/\/launch-debug\?mb_launch=/);
    await launchWindow.getByRole('heading', { name: 'Launch succeeded' }).waitFor();
    const debug = (await launchWindow.textContent('body')) ?? '';
    assert.match(debug, /Patient\/12724065/);
    assert.match(debug, /Encounter\/97953483/);
    assert.match(debug, /Practitioner\/12742069/);
    await shoot(launchWindow, '17-launch-debug');
    const id = new URL(launchWindow.url()).searchParams.get('mb_launch') as string;
    await launchWindow.close();
    const context = await fetch(`${gateway}/launch-contexts/${id}`, {
      headers: { authorization: `Bearer ${dev.printed.apiKey}` },
    });
    assert.equal(((await context.json()) as { status: string }).status, 'ready');

    // "The Scopes row ... confirm it matches what you ticked": now checked against the grant.
    await openCernerConnection();
    await chartside.locator('#scope-check').scrollIntoViewIfNeeded();
    assert.match((await chartside.locator('#scope-check').textContent()) ?? '', /Matches/);
    await shoot(chartside, '18-scopes-match');
  });

  it('failure: the SMART Launch URI set to the callback path shows a warning, and the launch a clear page', async () => {
    await editUris(async (page) =>
      page.getByLabel('SMART Launch URI').fill(copied['Redirect URI'] as string),
    );
    await ehr.locator('#launch-uri-warning').waitFor();
    assert.match(
      (await ehr.locator('#launch-uri-warning').textContent()) ?? '',
      /ends with the callback path/,
    );
    await shoot(ehr, '19-launch-uri-warning');
    const launchWindow = await launchWilma();
    await approve(launchWindow);
    await launchWindow
      .getByRole('heading', {
        name: 'The SMART Launch URI registered in the EHR is Chartside’s Redirect URI (the callback path).',
      })
      .waitFor();
    await shoot(launchWindow, '20-launch-uri-callback-page');
    await launchWindow.close();
    await editUris(async (page) => page.getByLabel('SMART Launch URI').fill(copied['Launch URL'] as string));
  });

  it('failure: a Redirect URI that is not registered stops at Cerner’s error page', async () => {
    await editUris(async (page) => page.getByLabel('Additional Redirect URI 2').fill(''));
    const launchWindow = await launchWilma();
    await approve(launchWindow);
    await launchWindow.getByRole('heading', { name: 'Authorization Error' }).waitFor();
    assert.match(
      (await launchWindow.textContent('body')) ?? '',
      /does not match a redirect URI registered for this application/,
    );
    await shoot(launchWindow, '21-redirect-uri-not-registered');
    await launchWindow.close();
    await editUris(async (page) => {
      await page.getByRole('button', { name: '+ Add more' }).click();
      await page.getByLabel('Additional Redirect URI 2').fill(copied['Redirect URI'] as string);
    });
  });

  it('failure: a rotated secret stops the launch with a page that says what to do', async () => {
    // Switch Chartside to the client secret: View it once on Cerner Central, paste it.
    await openApplication();
    await ehr.getByRole('link', { name: 'Cerner Central System Account Details' }).click();
    await ehr.getByRole('button', { name: 'View' }).click();
    const secret = ((await ehr.locator('#client-secret').textContent()) ?? '').trim();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    await openCernerConnection();
    await chartside.getByLabel('Client secret').fill(secret);
    await chartside.getByLabel('Authentication method').selectOption('client_secret_basic');
    await chartside.getByRole('button', { name: 'Save' }).click();
    await chartside.getByText('Saved the Cerner connection.').waitFor();
    const working = await launchWilma();
    await approve(working);
    await working.getByRole('heading', { name: 'Launch succeeded' }).waitFor();
    await working.close();

    await openApplication();
    await ehr.getByRole('link', { name: 'Cerner Central System Account Details' }).click();
    await ehr.getByRole('link', { name: 'Manage' }).click();
    await ehr.getByRole('button', { name: 'Rotate Secret' }).click();
    await ehr.locator('#client-secret').waitFor();
    await shoot(ehr, '22-secret-rotated');
    const refused = await launchWilma();
    await approve(refused);
    await refused.getByRole('heading', { name: 'The EHR refused this app’s credentials.' }).waitFor();
    const page = (await refused.textContent('body')) ?? '';
    assert.doesNotMatch(page, /urn:cerner/, 'no raw EHR error URI');
    await shoot(refused, '23-rotated-secret-refused');
    await refused.close();
  });

  it('failure: an iss that is not a registered FHIR source says "FHIR source not found for iss"', async () => {
    const sandbox = new URL(dev.printed.codeConsole).origin;
    const launch = new URL(copied['Launch URL'] as string);
    launch.searchParams.set('iss', `${sandbox}/r4/00000000-0000-0000-0000-000000000000`);
    launch.searchParams.set('launch', 'a-launch-from-another-tenant');
    await chartside.goto(launch.href);
    await chartside.getByText('FHIR source not found for iss').waitFor();
    await shoot(chartside, '24-fhir-source-not-found');
  });
});
