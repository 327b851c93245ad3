import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');

describe('token refresh, launch lifecycle and FHIR proxy settings', () => {
  it('have documented defaults', () => {
    const config = loadConfig({ CHARTSIDE_MASTER_KEY: key });
    assert.deepEqual(
      {
        refreshSkewSeconds: config.refreshSkewSeconds,
        refreshTimeoutMs: config.refreshTimeoutMs,
        maxSessionAgeSeconds: config.maxSessionAgeSeconds,
        sweepIntervalSeconds: config.sweepIntervalSeconds,
        fhirMaxRequestBytes: config.fhirMaxRequestBytes,
        fhirMaxResponseBytes: config.fhirMaxResponseBytes,
        fhirTimeoutMs: config.fhirTimeoutMs,
      },
      {
        refreshSkewSeconds: 60,
        refreshTimeoutMs: 10_000,
        maxSessionAgeSeconds: 43_200,
        sweepIntervalSeconds: 60,
        fhirMaxRequestBytes: 1_048_576,
        fhirMaxResponseBytes: 16_777_216,
        fhirTimeoutMs: 30_000,
      },
    );
  });

  it('read their environment variables and refuse values out of range', () => {
    const config = loadConfig({
      CHARTSIDE_MASTER_KEY: key,
      CHARTSIDE_REFRESH_SKEW_SECONDS: '120',
      CHARTSIDE_MAX_SESSION_AGE_SECONDS: '3600',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      CHARTSIDE_FHIR_MAX_RESPONSE_BYTES: '2048',
    });
    assert.equal(config.refreshSkewSeconds, 120);
    assert.equal(config.maxSessionAgeSeconds, 3600);
    assert.equal(config.sweepIntervalSeconds, 0);
    assert.equal(config.fhirMaxResponseBytes, 2048);
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_REFRESH_SKEW_SECONDS: '-1' }),
      ConfigError,
    );
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_MAX_SESSION_AGE_SECONDS: '10' }),
      /CHARTSIDE_MAX_SESSION_AGE_SECONDS must be between 60 and/,
    );
    assert.throws(
      () => loadConfig({ CHARTSIDE_MASTER_KEY: key, CHARTSIDE_FHIR_TIMEOUT_MS: 'soon' }),
      /whole number/,
    );
  });
});
