/**
 * The console in Debian's Chromium: inline validation (keyboard only), API key create/copy/
 * revoke, a form posted without its CSRF token, the htmx-enhanced filter, and every page at
 * 1280×800 and 390 px with no CSP violation, script error or sideways scroll. Screenshots:
 * test-artifacts/screenshots/admin-1*.png, admin-page-*.png, admin-narrow-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { type ConsoleBrowser, fillSignIn, inPage, openConsoleBrowser } from '../support/admin-browser.ts';
import { screenshot } from '../support/browser.ts';
import { driveLaunch, readContext } from '../support/launch-driver.ts';
import type { Stack } from '../support/stack.ts';

describe('admin console pages in Chromium', () => {
  let cb: ConsoleBrowser;
  let stack: Stack;
  let page: Page;
  let problems: string[];
  before(async () => {
    cb = await openConsoleBrowser();
    ({ stack, page, problems } = cb);
    await driveLaunch(stack);
    await page.goto(`${stack.gatewayUrl}/admin/sign-in`);
    await fillSignIn(page);
    await page.waitForURL(`${stack.gatewayUrl}/admin/launches`);
  });
  after(() => cb?.close());

  it('shows validation errors inline next to each field, keeping what was typed (keyboard only)', async () => {
    await page.goto(`${stack.gatewayUrl}/admin/settings/connections/cerner`);
    const launchUrl = page.getByLabel('App launch URL');
    await launchUrl.fill('http://app.example.org/launch');
    await page.getByLabel('Client ID').fill('');
    // Keyboard: Space toggles the CDS caching switch, and the focus ring is visible.
    await page.getByRole('switch', { name: 'CDS caching' }).focus();
    await page.keyboard.press('Space');
    assert.equal(await page.getByRole('switch', { name: 'CDS caching' }).isChecked(), true);
    const outline = await inPage<string>(page, 'getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.getByRole('button', { name: 'Save' }).focus();
    await page.keyboard.press('Enter');

    await page.getByText('Not saved.').waitFor();
    assert.equal(
      await page.locator('#app_launch_url-error').textContent(),
      'App launch URL must use https (http is allowed only for localhost).',
    );
    assert.match((await page.locator('#client_id-error').textContent()) ?? '', /Enter the Client ID/);
    assert.equal(await launchUrl.inputValue(), 'http://app.example.org/launch');
    assert.equal(await launchUrl.getAttribute('aria-invalid'), 'true');
    assert.equal(
      await page.getByRole('switch', { name: 'CDS caching' }).isChecked(),
      true,
      'toggles kept too',
    );
    await screenshot(page, 'admin-11-cerner-validation');
    await page.getByRole('link', { name: 'App launch URL' }).click();
    assert.equal(
      await inPage<string>(page, 'document.activeElement.id'),
      'app_launch_url',
      'the summary links to the field',
    );
  });

  it('creates an API key shown once with a copy button, then revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('heading', { name: 'Your new API key' }).waitFor();
    const key = await page.getByLabel('API key', { exact: true }).inputValue();
    assert.match(key, /^cs_test_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/, 'a sandbox key by default');
    await page.getByRole('button', { name: 'Copy API key' }).click();
    assert.equal(await inPage<string>(page, 'navigator.clipboard.readText()'), key);
    await screenshot(page, 'admin-12-api-key-created');
    assert.equal(
      (await readContext(stack, '00000000-0000-4000-8000-000000000000', key)).response.status,
      404,
      'the key works',
    );

    await page.reload();
    assert.equal(await page.getByRole('heading', { name: 'Your new API key' }).count(), 0, 'shown once');
    const masked = `cs_test_${key.slice(8, 20)}_…`;
    await page.getByRole('link', { name: `Revoke ${masked}` }).click();
    await page.getByRole('heading', { name: `Revoke ${masked}?` }).waitFor();
    await screenshot(page, 'admin-13-api-key-revoke');
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByText(`Revoked ${masked}.`).waitFor();
    await screenshot(page, 'admin-14-api-key-revoked');
    assert.equal(
      (await readContext(stack, '00000000-0000-4000-8000-000000000000', key)).response.status,
      401,
    );
  });

  it('refuses a form posted without its CSRF token', async () => {
    const { db } = stack.gateway.services;
    const before = (await db.selectFrom('api_key').select('id').execute()).length;
    await page.goto(`${stack.gatewayUrl}/admin/settings/api-keys`);
    await page
      .locator('form:has(button:text("Create API key")) input[name="_csrf"]')
      .evaluate((input) => input.remove());
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByRole('heading', { name: 'This form could not be accepted' }).waitFor();
    await screenshot(page, 'admin-15-csrf-refused');
    assert.equal(
      (await db.selectFrom('api_key').select('id').execute()).length,
      before,
      'no key was created',
    );
  });

  it('filters launches with htmx (no reload, URL kept) and still works as a plain form', async () => {
    await page.goto(`${stack.gatewayUrl}/admin/launches`);
    await inPage(page, 'window.marker = true');
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.waitForURL(/\/admin\/launches\?status=failed/);
    await page.getByText('No launches with status failed.').waitFor();
    assert.equal(await inPage<boolean>(page, 'window.marker === true'), true, 'no full reload');
    await page.getByLabel('Status', { exact: true }).selectOption('ready');
    await page.getByText(/1 launch with status ready/).waitFor();
  });

  it('renders every page cleanly at 1280×800 and at 390 px, with no CSP violation or script error', async () => {
    const source = await stack.gateway.services.db
      .selectFrom('fhir_source')
      .select('id')
      .executeTakeFirstOrThrow();
    const pages: [string, string][] = [
      ['launches', '/admin/launches'],
      ['audit', '/admin/audit'],
      ['settings', '/admin/settings'],
      ['connections', '/admin/settings/connections'],
      ['cerner', '/admin/settings/connections/cerner'],
      ['fhir-sources', '/admin/settings/fhir-sources'],
      ['fhir-source-new', '/admin/settings/fhir-sources/new'],
      ['fhir-source', `/admin/settings/fhir-sources/${source.id}`],
      ['api-keys', '/admin/settings/api-keys'],
      ['signing-keys', '/admin/settings/signing-keys'],
    ];
    problems.length = 0;
    for (const [width, height, prefix] of [
      [1280, 800, 'admin-page'],
      [390, 844, 'admin-narrow'],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const [name, path] of pages) {
        await page.goto(`${stack.gatewayUrl}${path}`);
        await page.locator('h1').first().waitFor();
        assert.equal(await inPage<string>(page, 'typeof window.htmx'), 'object', `htmx loaded on ${path}`);
        const overflow = await inPage<number>(
          page,
          'document.documentElement.scrollWidth - window.innerWidth',
        );
        assert.ok(overflow <= 0, `${path} at ${width}px scrolls sideways by ${overflow}px`);
        await screenshot(page, `${prefix}-${name}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(problems, [], 'no console errors or warnings (CSP violations included)');
  });
});
