/**
 * The guide's "Test in the Cerner Code Sandbox", clicked through in real Chromium against the
 * local sandbox: Test Sandbox → pick a patient → Launch → portal/portal → Approve Connection →
 * the App launch URL (/launch-debug) with mb_launch, which resolves to the launch context.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../support/browser.ts';
import { readContext } from '../support/launch-driver.ts';
import { type Stack, startStack } from '../support/stack.ts';

describe('guide walkthrough in Chromium: launch from the sandbox’s Test Sandbox page', () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    stack = await startStack({
      authMethod: 'private_key_jwt',
      appLaunchUrl: (gateway) => `${gateway}/launch-debug`,
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('lands on the app launch URL with mb_launch, showing Wilma’s launch context', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stack.sandbox.origin}/developer/smart-on-fhir/apps`);
    await screenshot(page, 'sandbox-1-my-applications');
    await page.getByRole('link', { name: 'Chartside test' }).click();
    await screenshot(page, 'sandbox-2-application-detail');
    await page.getByRole('link', { name: 'Test Sandbox' }).click();

    await page
      .getByRole('row', { name: /Wilma SMART/ })
      .getByRole('radio')
      .check();
    await page.getByRole('radio', { name: 'Yes' }).check();
    await screenshot(page, 'sandbox-3-select-patient');
    await page.getByRole('button', { name: 'Next' }).click();
    assert.ok(await page.getByText('portal').first().isVisible(), 'the ready step shows the credentials');
    await screenshot(page, 'sandbox-4-ready-to-launch');

    const [launchWindow] = await Promise.all([
      context.waitForEvent('page'),
      page.getByRole('link', { name: 'Launch' }).click(),
    ]);
    await launchWindow.waitForLoadState();
    await launchWindow.getByLabel('Username').fill('portal');
    await launchWindow.getByLabel('Password').fill('portal');
    await screenshot(launchWindow, 'sandbox-5-login');
    await launchWindow.getByRole('button', { name: 'Log In' }).click();
    await launchWindow.getByRole('button', { name: 'Approve Connection' }).waitFor();
    await screenshot(launchWindow, 'sandbox-6-consent');
    await launchWindow.getByRole('button', { name: 'Approve Connection' }).click();

    await launchWindow.waitForURL(/\/launch-debug\?mb_launch=/);
    const landed = new URL(launchWindow.url());
    assert.equal(`${landed.origin}${landed.pathname}`, `${stack.gatewayUrl}/launch-debug`);
    const id = landed.searchParams.get('mb_launch') as string;
    await launchWindow.getByRole('heading', { name: 'Launch succeeded' }).waitFor();
    const text = await launchWindow.textContent('body');
    assert.match(text as string, /Patient\/12724065/);
    assert.match(text as string, /Encounter\/97953483/);
    assert.match(text as string, /Practitioner\/12742069/);
    await screenshot(launchWindow, 'sandbox-7-launch-debug');

    const debugPage = await fetch(landed);
    assert.match(debugPage.headers.get('content-security-policy') as string, /default-src 'none'/);
    assert.equal(debugPage.headers.get('cache-control'), 'no-store');

    const { response, body } = await readContext(stack, id);
    assert.equal(response.status, 200);
    assert.equal(body.status, 'ready');
    assert.equal(body.patient, 'Patient/12724065');
    assert.equal(body.encounter, 'Encounter/97953483');
    assert.equal(body.fhir_user, 'Practitioner/12742069');
    await context.close();
  });
});
