import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { loadSandboxConfigFile } from './config.ts';
import { runSandboxCommand, sandboxOptionsFrom } from './main.ts';
import { LAUNCH_URI, providerApp, REDIRECT_URI } from './test-support.ts';

const dir = mkdtempSync(join(tmpdir(), 'sandbox-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadSandboxConfigFile', () => {
  it('loads a valid file', () => {
    const path = writeConfig('ok.json', { port: 4100, testControls: true, apps: [providerApp()] });
    const options = loadSandboxConfigFile(path);
    assert.equal(options.port, 4100);
    assert.equal(options.testControls, true);
    assert.equal(options.apps[0]?.clientId, providerApp().clientId);
  });

  it('gives clear one-line errors', () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /is not valid JSON/],
      [[], /must be a JSON object/],
      [{}, /"apps" must be an array/],
      [
        { apps: [{ ...providerApp(), redirectUris: [] }] },
        /apps\[0\]: "redirectUris" needs at least one URI/,
      ],
      [{ apps: [{ ...providerApp(), redirectUris: ['app://'] }] }, /not absolute: app:\/\//],
      [
        { apps: [{ ...providerApp(), accessType: 'forever' }] },
        /"accessType" must be one of online, offline/,
      ],
      [{ apps: [{ ...providerApp(), clientId: '' }] }, /"clientId" must be a non-empty string/],
      [{ apps: [providerApp(), providerApp()] }, /two apps with clientId/],
      [{ port: 70000, apps: [] }, /"port" must be an integer from 0 to 65535/],
      [{ rotateRefreshTokens: 'yes', apps: [] }, /"rotateRefreshTokens" must be true or false/],
      [
        { accessTokenLifetimeSeconds: 30, apps: [] },
        /"accessTokenLifetimeSeconds" must be an integer from 31/,
      ],
      [{ publicOrigin: 'ftp://x', apps: [] }, /"publicOrigin" must be an http\(s\) origin/],
      [
        { publicOrigin: 'http://x.example/sandbox', apps: [] },
        /"publicOrigin" must be an origin without a path/,
      ],
    ];
    cases.forEach(([content, message], index) => {
      const path = writeConfig(`bad-${index}.json`, content);
      assert.throws(
        () => loadSandboxConfigFile(path),
        (error: Error) => {
          assert.match(error.message, message);
          assert.ok(error.message.includes(path));
          assert.ok(!error.message.includes('\n'));
          return true;
        },
      );
    });
    assert.throws(
      () => loadSandboxConfigFile(join(dir, 'missing.json')),
      /cannot read sandbox config file .*ENOENT/,
    );
  });
});

describe('chartside sandbox options', () => {
  const flags = ['--client-id', 'abc', '--redirect-uri', REDIRECT_URI, '--launch-uri', LAUNCH_URI];

  it('builds an app from flags, with SANDBOX_PORT and SANDBOX_PUBLIC_URL', () => {
    const options = sandboxOptionsFrom(
      [...flags, '--client-secret', 's', '--redirect-uri', 'https://dev.example/cb'],
      {
        SANDBOX_PORT: '4555',
        SANDBOX_PUBLIC_URL: 'https://sandbox.example',
      },
    );
    assert.equal(options.port, 4555);
    assert.equal(options.publicOrigin, 'https://sandbox.example');
    const app = options.apps[0];
    assert.equal(app?.clientId, 'abc');
    assert.equal(app?.secret, 's');
    assert.deepEqual(app?.redirectUris, [REDIRECT_URI, 'https://dev.example/cb']);
    assert.equal(app?.accessType, 'offline');
    assert.ok(app?.scopes.includes('user/Patient.read'));
    assert.equal(
      app?.applicationId,
      sandboxOptionsFrom(flags, {}).apps[0]?.applicationId,
      'stable Application ID',
    );
  });

  it('defaults the port to 4000 and lets --port win over SANDBOX_PORT', () => {
    assert.equal(sandboxOptionsFrom(flags, {}).port, 4000);
    assert.equal(sandboxOptionsFrom([...flags, '--port', '0'], { SANDBOX_PORT: '4555' }).port, 0);
  });

  it('reads SANDBOX_CONFIG and lets flags replace an app with the same client id', () => {
    const path = writeConfig('env.json', {
      apps: [providerApp({ clientId: 'abc', name: 'from file' })],
      testControls: true,
    });
    const fromEnv = sandboxOptionsFrom([], { SANDBOX_CONFIG: path });
    assert.equal(fromEnv.apps[0]?.name, 'from file');
    assert.equal(fromEnv.testControls, true);
    const overridden = sandboxOptionsFrom([...flags, '--config', path], {});
    assert.equal(overridden.apps.length, 1);
    assert.equal(overridden.apps[0]?.name, 'Sandbox app');
  });

  it('throws one-line errors for bad input', () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--client-secret', 's'], {}, /--client-secret needs --client-id/],
      [['--client-id', 'abc', '--launch-uri', LAUNCH_URI], {}, /at least one --redirect-uri/],
      [['--client-id', 'abc', '--redirect-uri', REDIRECT_URI], {}, /needs --launch-uri/],
      [[...flags, '--access-type', 'sometimes'], {}, /--access-type must be online or offline/],
      [[...flags, '--port', 'eighty'], {}, /--port must be a port number/],
      [flags, { SANDBOX_PORT: '-1' }, /SANDBOX_PORT must be a port number/],
      [[...flags, '--bogus'], {}, /Unknown option '--bogus'/],
      [[...flags, '--redirect-uri', 'relative/cb'], {}, /must be an absolute URI/],
    ];
    for (const [argv, env, message] of cases) {
      assert.throws(
        () => sandboxOptionsFrom(argv, env),
        (error: Error) => {
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'), error.message);
          return true;
        },
      );
    }
  });

  it('starts the sandbox and prints the Code Console page of the app', async () => {
    const log = mock.method(console, 'log', () => {});
    try {
      const sandbox = await runSandboxCommand([...flags, '--port', '0'], {});
      try {
        const printed = String(log.mock.calls[0]?.arguments[0]);
        const appId = sandboxOptionsFrom(flags, {}).apps[0]?.applicationId ?? '';
        assert.ok(printed.includes(`${sandbox.origin}/developer/smart-on-fhir/apps/${appId}`), printed);
        const page = await fetch(`${sandbox.origin}/developer/smart-on-fhir/apps/${appId}`);
        assert.equal(page.status, 200);
      } finally {
        await sandbox.close();
      }
    } finally {
      log.mock.restore();
    }
  });
});
