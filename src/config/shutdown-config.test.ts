import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');
const production = { CHARTSIDE_ENV: 'production', PUBLIC_URL: 'https://chartside.example.org' };

describe('graceful shutdown settings', () => {
  it('drain 5 s in production, not at all in development and tests; in-flight requests get 10 s', () => {
    const prod = loadConfig({ ...production, CHARTSIDE_MASTER_KEY: key });
    assert.equal(prod.shutdownDrainMs, 5000);
    assert.equal(prod.shutdownTimeoutMs, 10_000);
    assert.equal(loadConfig({ CHARTSIDE_MASTER_KEY: key }).shutdownDrainMs, 0);
    assert.equal(loadConfig({ CHARTSIDE_ENV: 'test', CHARTSIDE_MASTER_KEY: key }).shutdownDrainMs, 0);
  });

  it('are read from the environment and checked with a one-line reason', () => {
    const config = loadConfig({
      CHARTSIDE_MASTER_KEY: key,
      CHARTSIDE_SHUTDOWN_DRAIN_MS: '15000',
      CHARTSIDE_SHUTDOWN_TIMEOUT_MS: '0',
    });
    assert.equal(config.shutdownDrainMs, 15_000);
    assert.equal(config.shutdownTimeoutMs, 0);
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_SHUTDOWN_DRAIN_MS: '5s' }),
      new ConfigError('CHARTSIDE_SHUTDOWN_DRAIN_MS must be a whole number'),
    );
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_SHUTDOWN_TIMEOUT_MS: '600000' }),
      new ConfigError('CHARTSIDE_SHUTDOWN_TIMEOUT_MS must be between 0 and 300000'),
    );
  });
});
