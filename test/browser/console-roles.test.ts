/**
 * The console in Chromium as each kind of user: an org operator sees their organization and the
 * FHIR sources linked to it, read-only; a platform admin also sees every organization, every
 * source with its links, and the forms to change them. Screenshots: test-artifacts/screenshots/
 * roles-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createOperator } from '../../src/admin/operators.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { type ConsoleBrowser, fillSignIn, openConsoleBrowser } from '../support/admin-browser.ts';
import { screenshot } from '../support/browser.ts';
import type { Stack } from '../support/stack.ts';

const ORG_OPERATOR = { email: 'ops@test-clinic.example', password: 'another long calm password' };

describe('console roles in Chromium', () => {
  let cb: ConsoleBrowser;
  let stack: Stack;
  let productionId: string;
  before(async () => {
    cb = await openConsoleBrowser();
    stack = cb.stack;
    const { db } = stack.gateway.services;
    const hospital = await createOrganization(db, { name: 'Zeta Hospital' });
    const production = await addFhirSource(db, {
      iss: 'https://fhir.zeta-hospital.example.org/r4/tenant',
      vendor: 'cerner',
      environment: 'production',
      name: 'Zeta Hospital tenant',
    });
    productionId = production.id;
    await linkOrgToSource(db, { orgId: hospital.id, sourceId: production.id, actor: 'test' });
    await createOperator(db, { orgId: stack.orgId, ...ORG_OPERATOR });
  });
  after(() => cb?.close());

  async function signIn(page: Page, email: string, password: string) {
    await page.goto(`${stack.gatewayUrl}/admin/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${stack.gatewayUrl}/admin/launches`);
  }

  it('an org operator sees their org’s linked sources read-only, and no other organization', async () => {
    const context = await cb.browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await signIn(page, ORG_OPERATOR.email, ORG_OPERATOR.password);
      assert.equal(await page.locator('#viewer-role').textContent(), 'Org operator');
      assert.equal(await page.getByRole('link', { name: 'Organizations' }).count(), 0);

      await page.getByRole('link', { name: 'FHIR sources' }).click();
      await page.getByRole('heading', { name: 'FHIR sources' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'Local Cerner sandbox' }).count(), 1);
      assert.equal(
        await page.getByText('Zeta Hospital tenant').count(),
        0,
        'another org’s tenant is not listed',
      );
      assert.equal(await page.getByRole('link', { name: 'Add a FHIR source' }).count(), 0);
      await screenshot(page, 'roles-org-operator-sources');

      await page.getByRole('link', { name: 'Local Cerner sandbox' }).click();
      await page.getByText('Only a platform admin can change a FHIR source.').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0, 'no edit form');

      const refused = await page.goto(`${stack.gatewayUrl}/admin/organizations`);
      assert.equal(refused?.status(), 403);
      await page.getByText('Only a platform admin can do that.').waitFor();
      const hidden = await page.goto(`${stack.gatewayUrl}/admin/settings/fhir-sources/${productionId}`);
      assert.equal(hidden?.status(), 404);
    } finally {
      await context.close();
    }
  });

  it('a platform admin sees every organization and source, with the forms to link them', async () => {
    const { page, problems } = cb;
    await page.goto(`${stack.gatewayUrl}/admin/sign-in`);
    await fillSignIn(page);
    await page.waitForURL(`${stack.gatewayUrl}/admin/launches`);
    assert.equal(await page.locator('#viewer-role').textContent(), 'Platform admin');

    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByRole('heading', { name: 'Organizations' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'View Zeta Hospital' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Zeta Hospital tenant' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'Local Cerner sandbox' }).count(), 1);
    await screenshot(page, 'roles-admin-organizations');

    await page.getByRole('link', { name: 'FHIR sources' }).click();
    await page.getByRole('link', { name: 'Add a FHIR source' }).waitFor();
    await page.getByRole('link', { name: 'Zeta Hospital tenant' }).click();
    await page.getByRole('heading', { name: 'Linked organizations' }).waitFor();
    assert.match((await page.locator('#environment-banner').textContent()) ?? '', /real patients/);
    assert.equal(await page.getByRole('button', { name: 'Unlink Zeta Hospital' }).count(), 1);
    assert.equal(
      await page.getByLabel('Link an organization').count(),
      0,
      'a linked production tenant offers no second organization',
    );
    await screenshot(page, 'roles-admin-production-source');

    // View the other organization: the console now shows it.
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.getByRole('button', { name: 'View Zeta Hospital' }).click();
    await page.getByText('Now showing Zeta Hospital.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'View Test Clinic' }).count(), 1);
    assert.equal(await page.locator('.topbar .org').textContent(), 'Zeta Hospital');
    assert.deepEqual(problems, [], 'no CSP violation or script error');
  });
});
