/**
 * The registry keeps what the Code Console registered across a restart (issue 14, part 6).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConsoleBrowser } from './console-test-support.ts';
import { startSandbox } from './index.ts';
import { codeFor, viewSecret } from './registration-test-support.ts';

import { basicAuth, codeForm, exchange, providerApp } from './test-support.ts';

describe('registrations persist in the sandbox’s SQLite file', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'cerner-sandbox-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps apps registered in the console (and their secret) across a restart; rewrites configured apps', async () => {
    const configured = providerApp({
      name: 'seeded',
      launchUri: 'http://localhost:3000/api/auth/smart/launch/org_a',
    });
    let sandbox = await startSandbox({ port: 0, testControls: true, dataDir, apps: [configured] });
    const browser = new ConsoleBrowser(sandbox.origin);
    await browser.signIn();
    const { applicationId, clientId } = await browser.register();
    const secret = await viewSecret(browser, clientId);
    const port = new URL(sandbox.origin).port;
    await sandbox.close();

    sandbox = await startSandbox({
      port: Number(port),
      testControls: true,
      dataDir,
      apps: [{ ...configured, launchUri: 'http://localhost:3001/api/auth/smart/launch/org_a' }],
    });
    try {
      const list = await (await fetch(`${sandbox.origin}/developer/smart-on-fhir/apps`)).text();
      assert.match(
        list,
        new RegExp(`<td><code>${applicationId}</code></td>\\s*<td><code>${clientId}</code></td>`),
      );
      const seeded = await (
        await fetch(`${sandbox.origin}/developer/smart-on-fhir/apps/${configured.applicationId}`)
      ).text();
      assert.match(
        seeded,
        /<dt>SMART Launch URI<\/dt><dd>http:\/\/localhost:3001\/api\/auth\/smart\/launch\/org_a<\/dd>/,
      );
      const { code, verifier } = await codeFor(sandbox, clientId, 'launch openid user/Patient.read');
      const { response } = await exchange(sandbox, codeForm(code, verifier), {
        authorization: basicAuth(clientId, secret),
      });
      assert.equal(response.status, 200, 'the secret issued before the restart still works');
      const again = new ConsoleBrowser(sandbox.origin);
      await again.signIn();
      await again.get(`/system-accounts/${clientId}`);
      assert.equal(
        (await again.post(`/system-accounts/${clientId}/secret/view`, {})).status,
        409,
        'viewed once, even across a restart',
      );
    } finally {
      await sandbox.close();
    }
  });
});
