/**
 * The guide in Debian's Chromium, end to end through the console: sign in (wrong password,
 * then right), Settings → Connections → Cerner configured as "Configure Medblocks" says (client
 * id of the sandbox app, URIs copied and checked against the sandbox's Code Console), then "Test
 * in the Cerner Code Sandbox" (Test Sandbox → Wilma → portal/portal → Approve Connection) lands on
 * launch-debug, and the launch shows on Launches and in the Audit trail. Screenshots:
 * test-artifacts/screenshots/admin-0*.png and admin-10-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  type ConsoleBrowser,
  fillSignIn,
  inPage,
  OPERATOR,
  openConsoleBrowser,
} from '../support/admin-browser.ts';
import { screenshot } from '../support/browser.ts';
import { readContext } from '../support/launch-driver.ts';
import type { Stack } from '../support/stack.ts';

describe('the guide, walked through the console in Chromium', () => {
  let cb: ConsoleBrowser;
  let stack: Stack;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  before(async () => {
    cb = await openConsoleBrowser({ unconfigured: true });
    ({ stack, context, page, problems } = cb);
  });
  after(() => cb?.close());

  it('signs in: a wrong password is refused with the email kept, the right one opens the console', async () => {
    await page.goto(`${stack.gatewayUrl}/admin`);
    await page.waitForURL(/\/admin\/sign-in\?next=/);
    await screenshot(page, 'admin-01-sign-in');
    await fillSignIn(page, 'not the right password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /That email and password do not match/);
    assert.equal(await page.getByLabel('Email').inputValue(), OPERATOR.email);
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
    await screenshot(page, 'admin-02-sign-in-wrong-password');

    await fillSignIn(page);
    await page.waitForURL(`${stack.gatewayUrl}/admin/launches`);
    await page.getByRole('heading', { name: 'Launches', level: 1 }).waitFor();
    assert.ok(await page.getByText(OPERATOR.email).isVisible());
    const cookie = (await context.cookies()).find((c) => c.name === 'chartside_session');
    assert.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(cookie?.sameSite, 'Lax');
    assert.equal(cookie?.path, '/admin');
  });

  it('walks the guide: configure Settings → Connections → Cerner, launch from Test Sandbox, see the launch', async () => {
    problems.length = 0;
    // "Go to Settings. Select Connections. Find Cerner and open it."
    await page
      .getByRole('navigation', { name: 'Console' })
      .getByRole('link', { name: 'Settings', exact: true })
      .click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await screenshot(page, 'admin-03-settings');
    await page
      .locator('main')
      .getByRole('link', { name: /Connections/ })
      .click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await screenshot(page, 'admin-04-connections');
    await page.getByRole('link', { name: 'Cerner', exact: true }).click();
    await page.getByRole('heading', { name: 'Cerner Clinical Workflow' }).waitFor();
    assert.ok(await page.getByText('Not set up yet').isVisible());
    assert.equal(
      await page.getByRole('switch', { name: 'CDS caching' }).isChecked(),
      false,
      'CDS caching off by default',
    );
    await screenshot(page, 'admin-05-cerner-unconfigured');

    // The top of the page: the app-side settings.
    await page.getByLabel('App launch URL').fill(`${stack.gatewayUrl}/launch-debug`);
    // The bottom: toggle Use custom credentials, paste the Client ID, pick the auth method.
    await page.getByRole('switch', { name: 'Use custom credentials' }).check();
    await page.getByLabel('Client ID').fill(stack.clientId);
    await page.getByLabel('Authentication method').selectOption('private_key_jwt');

    // "Copy the Redirect URI and JWKS URI shown here into the corresponding fields on the Cerner Code Console."
    const copied: Record<string, string> = {};
    for (const name of ['Launch URL', 'Redirect URI', 'JWKS URI']) {
      const button = page.getByRole('button', { name: `Copy ${name}` });
      await button.click();
      await button.filter({ hasText: 'Copied' }).waitFor();
      copied[name] = await inPage<string>(page, 'navigator.clipboard.readText()');
    }
    const scopes = (await page.locator('#resolved-scopes').textContent())?.trim();
    await screenshot(page, 'admin-06-cerner-filled');

    // What the sandbox's Code Console has on file for the app must be exactly what we copied.
    const ehr = await context.newPage();
    await ehr.goto(`${stack.sandbox.origin}/developer/smart-on-fhir/apps`);
    await ehr.getByRole('link', { name: 'Chartside test' }).click();
    const registered = async (label: string) =>
      (await ehr.locator(`dt:text-is("${label}") + dd`).textContent())?.trim();
    assert.equal(copied['Redirect URI'], await registered('Redirect URI'));
    assert.equal(copied['Launch URL'], await registered('SMART Launch URI'));
    await ehr.getByRole('link', { name: 'Cerner Central System Account Details' }).click();
    assert.equal(copied['JWKS URI'], await registered('JSON Web Key Set URL'));

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved the Cerner connection.').waitFor();
    assert.ok(await page.getByText('Launches from Cerner can start with these settings.').isVisible());
    assert.equal(await page.getByLabel('Client ID').inputValue(), stack.clientId);
    await screenshot(page, 'admin-07-cerner-saved');

    // "Test in the Cerner Code Sandbox": Test Sandbox → Wilma → Launch → portal/portal → Approve.
    await ehr.goto(`${stack.sandbox.origin}/developer/smart-on-fhir/apps`);
    await ehr.getByRole('link', { name: 'Chartside test' }).click();
    await ehr.getByRole('link', { name: 'Test Sandbox' }).click();
    await ehr
      .getByRole('row', { name: /Wilma SMART/ })
      .getByRole('radio')
      .check();
    await ehr.getByRole('button', { name: 'Next' }).click();
    const [launchWindow] = await Promise.all([
      context.waitForEvent('page'),
      ehr.getByRole('link', { name: 'Launch' }).click(),
    ]);
    await launchWindow.waitForLoadState();
    await launchWindow.getByLabel('Username').fill('portal');
    await launchWindow.getByLabel('Password').fill('portal');
    await launchWindow.getByRole('button', { name: 'Log In' }).click();
    await launchWindow.getByRole('button', { name: 'Approve Connection' }).click();

    await launchWindow.waitForURL(/\/launch-debug\?mb_launch=/);
    const id = new URL(launchWindow.url()).searchParams.get('mb_launch') as string;
    await launchWindow.getByRole('heading', { name: 'Launch succeeded' }).waitFor();
    const debug = (await launchWindow.textContent('body')) as string;
    assert.match(debug, /Patient\/12724065/);
    assert.match(debug, /Encounter\/97953483/);
    assert.match(debug, /Practitioner\/12742069/);
    await screenshot(launchWindow, 'admin-08-launch-debug');
    const { body } = await readContext(stack, id);
    assert.equal(body.scope !== null && body.status, 'ready');
    const stored = await stack.gateway.services.db
      .selectFrom('ehr_launch')
      .select(['requested_scope', 'client_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.requested_scope, scopes, 'the Scopes row showed exactly what the launch requested');
    assert.equal(stored.client_id, stack.clientId);
    await launchWindow.close();
    await ehr.close();

    // "Check the ehr_launch table", made visible.
    await page.getByRole('link', { name: 'Launches' }).click();
    const row = page.locator('li.launch', { hasText: id });
    await row.waitFor();
    const text = (await row.textContent()) as string;
    assert.match(text, /ready/);
    assert.match(text, /Patient\/12724065/);
    assert.match(text, /Encounter\/97953483/);
    assert.match(text, /Practitioner\/12742069/);
    assert.match(text, /access\s*held/);
    await screenshot(page, 'admin-09-launches');

    await row.getByRole('link', { name: id }).click();
    await page.waitForURL(/\/admin\/audit\?launch=/);
    await page.getByText('launch.ready').waitFor();
    await screenshot(page, 'admin-10-audit-for-launch');
    assert.deepEqual(
      problems,
      [],
      'no console errors or warnings on the console pages (CSP violations included)',
    );
  });
});
