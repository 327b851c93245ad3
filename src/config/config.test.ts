import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('production requires PUBLIC_URL (https) and the master key, with no defaults', () => {
    assert.throws(
      () => loadConfig({ CHARTSIDE_ENV: 'production', CHARTSIDE_MASTER_KEY: key }),
      /PUBLIC_URL is required/,
    );
    assert.throws(
      () => loadConfig({ CHARTSIDE_ENV: 'production', PUBLIC_URL: 'https://gw.example' }),
      /CHARTSIDE_MASTER_KEY is required/,
    );
    assert.throws(
      () =>
        loadConfig({
          CHARTSIDE_ENV: 'production',
          PUBLIC_URL: 'http://gw.example',
          CHARTSIDE_MASTER_KEY: key,
        }),
      /https in production/,
    );
    const config = loadConfig({
      CHARTSIDE_ENV: 'production',
      PUBLIC_URL: 'https://gw.example/',
      CHARTSIDE_MASTER_KEY: key,
    });
    assert.equal(config.publicUrl, 'https://gw.example');
    assert.equal(config.host, '0.0.0.0');
    assert.ok(Object.isFrozen(config));
  });

  it('development generates the master key into the data folder with mode 0600, once', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cs-config-'));
    const first = loadConfig({ CHARTSIDE_DATA_DIR: dataDir });
    const file = join(dataDir, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
    const second = loadConfig({ CHARTSIDE_DATA_DIR: dataDir });
    assert.ok(first.masterKey.equals(second.masterKey), 'the generated key is reused');
    assert.equal(first.publicUrl, 'http://localhost:3000');
    assert.equal(
      first.databaseUrl,
      `sqlite:${join(dataDir, 'chartside.db')}`,
      'the database follows the data folder',
    );
    assert.equal(loadConfig({ CHARTSIDE_MASTER_KEY: key }).databaseUrl, 'sqlite:data/chartside.db');
  });

  it('rejects bad values with a one-line reason', () => {
    const base = { CHARTSIDE_MASTER_KEY: key };
    assert.throws(() => loadConfig({ ...base, PORT: 'eighty' }), ConfigError);
    assert.throws(() => loadConfig({ ...base, PORT: '70000' }), /between/);
    assert.throws(() => loadConfig({ ...base, DATABASE_URL: 'mysql://x' }), /sqlite: or postgres/);
    assert.throws(() => loadConfig({ ...base, CHARTSIDE_MASTER_KEY: 'c2hvcnQ=' }), /32 bytes/);
    assert.throws(() => loadConfig({ ...base, CHARTSIDE_ENV: 'staging' }), /development, production or test/);
    assert.throws(
      () => loadConfig({ ...base, CHARTSIDE_CERNER_CLIENT_ID: 'x' }),
      /CLIENT_SECRET is required/,
    );
  });

  it('reads platform credentials per vendor', () => {
    const config = loadConfig({
      CHARTSIDE_MASTER_KEY: key,
      CHARTSIDE_CERNER_CLIENT_ID: 'platform-client',
      CHARTSIDE_CERNER_AUTH_METHOD: 'private_key_jwt',
    });
    assert.deepEqual(config.platformClients.cerner, {
      clientId: 'platform-client',
      clientSecret: null,
      authMethod: 'private_key_jwt',
    });
  });
});
