/**
 * The README's first run, as a new user does it: `npm start` (chartside dev) from an empty data
 * folder, then again on another PORT with the same folder (issue 14, part 8).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { openDatabase } from '../src/db/index.ts';
import { ConsoleBrowser } from '../src/sandbox/console-test-support.ts';
import { DEFAULT_SCOPES, findConnection, setConnection } from '../src/settings/connections.ts';
import { type DevProcess, freeDevPorts, startDev } from './support/dev-process.ts';

async function withDatabase<T>(
  dataDir: string,
  use: (handle: ReturnType<typeof openDatabase>, config: ReturnType<typeof loadConfig>) => Promise<T>,
) {
  const config = loadConfig({ CHARTSIDE_DATA_DIR: dataDir }, { mode: 'development' });
  const handle = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    return await use(handle, config);
  } finally {
    await handle.close();
  }
}

function resourceScopes(scope: string): string[] {
  return scope
    .split(' ')
    .filter((part) => part.includes('/'))
    .sort();
}

describe('npm start from an empty data folder', () => {
  let dataDir: string;
  let dev: DevProcess;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'chartside-dev-'));
    dev = await startDev(dataDir);
  });
  after(async () => {
    await dev?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints one URL to open first: the landing page, HTML in a browser', async () => {
    const text = dev.output();
    const firstUrl = /https?:\/\/\S+/.exec(text)?.[0];
    assert.equal(firstUrl, `http://localhost:${dev.ports.gateway}/`);
    assert.equal(dev.printed.openThis, firstUrl);
    const page = await fetch(firstUrl, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const body = await page.text();
    assert.match(body, /<a href="http:\/\/localhost:\d+\/admin">Admin console<\/a>/);
    assert.ok(body.includes(`href="${dev.printed.codeConsole}"`), 'links the sandbox’s My Applications');
  });

  it('registers the demo app at the sandbox’s Epic and SMART profiles and prints their FHIR bases', async () => {
    const sandbox = `http://localhost:${dev.ports.sandbox}`;
    const bases = [
      `${sandbox}/epic/nonprod/api/FHIR/R4`,
      `${sandbox}/epic/prod/api/FHIR/R4`,
      `${sandbox}/smart-ehr/fhir`,
    ];
    for (const base of bases) {
      assert.ok(dev.output().includes(base), base);
      const discovery = await fetch(`${base}/.well-known/smart-configuration`);
      assert.equal(discovery.status, 200, base);
    }
    const gateway = `http://localhost:${dev.ports.gateway}`;
    for (const [launcher, clientId] of [
      ['epic/nonprod', 'chartside-demo-epic-nonprod'],
      ['epic/prod', 'chartside-demo-epic-prod'],
      ['smart-ehr', 'chartside-demo-smart'],
    ] as const) {
      const page = await (await fetch(`${sandbox}/${launcher}/launcher`)).text();
      assert.ok(page.includes(`value="${clientId}"`), clientId);
      const launched = await fetch(`${sandbox}/${launcher}/launcher`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, patient: '12724065' }),
        redirect: 'manual',
      });
      const location = new URL(launched.headers.get('location') ?? '');
      assert.match(location.href, new RegExp(`^${gateway}/api/auth/smart/launch/`), clientId);
    }
  });

  it('prints the Code Console’s My Applications, with the demo app registered as the guide ticks it', async () => {
    assert.equal(
      dev.printed.codeConsole,
      `http://localhost:${dev.ports.sandbox}/developer/smart-on-fhir/apps`,
    );
    assert.match(dev.output(), /sign in as developer \/ developer/);
    const list = await (await fetch(dev.printed.codeConsole)).text();
    assert.match(list, /<button type="submit">\+ New Application<\/button>/);
    assert.match(list, /Chartside demo/);
    const app = await (await fetch(dev.printed.demoApp)).text();
    const registered = /<code id="registered-scopes">([^<]*)<\/code>/.exec(app)?.[1] ?? '';
    assert.deepEqual(
      resourceScopes(registered),
      resourceScopes(DEFAULT_SCOPES),
      'the sandbox’s app page shows the same resource scopes as Chartside’s Scopes row',
    );
    assert.match(app, /<dt>Type of Access<\/dt><dd>Offline<\/dd>/);
  });

  it('on another PORT with the same data folder: seeded values follow the port, registrations and changes stay', async () => {
    const browser = new ConsoleBrowser(new URL(dev.printed.codeConsole).origin);
    await browser.signIn();
    const { clientId } = await browser.register();
    await dev.stop();

    const ports = await freeDevPorts();
    dev = await startDev(dataDir, ports);
    const gateway = `http://localhost:${ports.gateway}`;
    const demo = await (await fetch(dev.printed.demoApp)).text();
    assert.match(
      demo,
      new RegExp(
        `<dt>SMART Launch URI</dt><dd>${gateway}/api/auth/smart/launch/${dev.printed.organization}</dd>`,
      ),
    );
    assert.match(demo, new RegExp(`<dt>Redirect URI</dt><dd>${gateway}/api/auth/smart/launch-callback</dd>`));
    const list = await (await fetch(dev.printed.codeConsole)).text();
    assert.ok(list.includes(clientId), 'the app registered in the Code Console is still there');
    await dev.stop();

    await withDatabase(dataDir, async ({ db }, config) => {
      const connection = await findConnection(db, dev.printed.organization, 'cerner');
      assert.equal(connection?.appLaunchUrl, `${gateway}/launch-debug`, 'the App launch URL followed PORT');
      // Someone points the App launch URL at their app: a restart keeps it.
      await setConnection(db, createSealer(config.masterKey), config, dev.printed.organization, 'cerner', {
        appLaunchUrl: 'https://app.example.org/launch',
      });
    });
    dev = await startDev(dataDir);
    await dev.stop();
    await withDatabase(dataDir, async ({ db }) => {
      const connection = await findConnection(db, dev.printed.organization, 'cerner');
      assert.equal(connection?.appLaunchUrl, 'https://app.example.org/launch');
    });
  });
});
