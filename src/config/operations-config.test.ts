import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');

describe('webhook and metrics settings', () => {
  it('default to polling every second, 12 attempts from 30 s, and no /metrics', () => {
    const config = loadConfig({ CHARTSIDE_MASTER_KEY: key });
    assert.deepEqual(config.webhooks, {
      pollMs: 1000,
      timeoutMs: 10_000,
      maxAttempts: 12,
      retryBaseMs: 30_000,
      retryMaxMs: 21_600_000,
    });
    assert.deepEqual(config.metrics, { token: null, port: null });
  });

  it('refuse a short metrics token, a metrics port equal to PORT, and sub-second retries outside tests', () => {
    const refused = (env: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => loadConfig({ CHARTSIDE_MASTER_KEY: key, ...env }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, message);
          return true;
        },
      );
    refused({ CHARTSIDE_METRICS_TOKEN: 'short' }, /CHARTSIDE_METRICS_TOKEN must be at least 16 characters/);
    refused({ PORT: '3000', CHARTSIDE_METRICS_PORT: '3000' }, /CHARTSIDE_METRICS_PORT must differ from PORT/);
    refused(
      { CHARTSIDE_WEBHOOK_RETRY_BASE_MS: '50' },
      /CHARTSIDE_WEBHOOK_RETRY_BASE_MS must be between 1000/,
    );
    const test = loadConfig({
      CHARTSIDE_MASTER_KEY: key,
      CHARTSIDE_ENV: 'test',
      CHARTSIDE_WEBHOOK_RETRY_BASE_MS: '50',
    });
    assert.equal(test.webhooks.retryBaseMs, 50);
  });
});
