import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');

describe('CDS Hooks relay settings', () => {
  it('default to a 5 s time budget and a 30 s cache TTL', () => {
    const config = loadConfig({ CHARTSIDE_MASTER_KEY: key });
    assert.equal(config.cdsTimeoutMs, 5000);
    assert.equal(config.cdsCacheTtlSeconds, 30);
  });

  it('are read from the environment and checked', () => {
    const config = loadConfig({
      CHARTSIDE_MASTER_KEY: key,
      CHARTSIDE_CDS_TIMEOUT_MS: '800',
      CHARTSIDE_CDS_CACHE_TTL_SECONDS: '5',
    });
    assert.equal(config.cdsTimeoutMs, 800);
    assert.equal(config.cdsCacheTtlSeconds, 5);
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_CDS_TIMEOUT_MS: '0' }),
      ConfigError,
    );
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_CDS_CACHE_TTL_SECONDS: 'soon' }),
      ConfigError,
    );
  });
});
