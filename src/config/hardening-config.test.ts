import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

const key = Buffer.alloc(32, 7).toString('base64');
const development = { CHARTSIDE_MASTER_KEY: key };
const production = {
  CHARTSIDE_ENV: 'production',
  PUBLIC_URL: 'https://chartside.example.org',
  CHARTSIDE_MASTER_KEY: key,
};

describe('CHARTSIDE_LAUNCH_DEBUG', () => {
  it('is on in development and tests, off in production, unless set', () => {
    assert.equal(loadConfig(development).launchDebugPage, true);
    assert.equal(loadConfig({ ...development, CHARTSIDE_ENV: 'test' }).launchDebugPage, true);
    assert.equal(loadConfig(production).launchDebugPage, false);
    assert.equal(loadConfig({ ...production, CHARTSIDE_LAUNCH_DEBUG: 'on' }).launchDebugPage, true);
    assert.equal(loadConfig({ ...development, CHARTSIDE_LAUNCH_DEBUG: 'off' }).launchDebugPage, false);
    assert.equal(loadConfig({ ...production, CHARTSIDE_LAUNCH_DEBUG: '' }).launchDebugPage, false);
  });

  it('takes on or off only, and stops the start with a one-line reason otherwise', () => {
    for (const value of ['true', 'yes', 'ON', '1', 'enabled']) {
      assert.throws(
        () => loadConfig({ ...production, CHARTSIDE_LAUNCH_DEBUG: value }),
        new ConfigError('CHARTSIDE_LAUNCH_DEBUG must be on or off'),
        value,
      );
    }
  });
});

describe('CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS', () => {
  it('allows no private range by default, in every mode', () => {
    for (const env of [development, production]) {
      const { allowPrivateUpstreams } = loadConfig(env);
      assert.deepEqual(allowPrivateUpstreams.cidrs, []);
      assert.equal(allowPrivateUpstreams.has('10.0.0.1'), false);
    }
  });

  it('reads a comma-separated list of IPv4 and IPv6 CIDR ranges', () => {
    const { allowPrivateUpstreams } = loadConfig({
      ...production,
      CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: '10.0.0.0/8,127.0.0.0/8,fd00::/8',
    });
    assert.deepEqual(allowPrivateUpstreams.cidrs, ['10.0.0.0/8', '127.0.0.0/8', 'fd00::/8']);
    assert.equal(allowPrivateUpstreams.has('10.20.30.40'), true);
    assert.equal(allowPrivateUpstreams.has('fd00::10'), true);
    assert.equal(allowPrivateUpstreams.has('192.168.0.1'), false);
  });

  it('stops the start on a malformed range, naming the variable and the entry', () => {
    for (const [value, message] of [
      [
        '10.0.0.0',
        'CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: "10.0.0.0" is not a CIDR range such as 10.0.0.0/8 or fd00::/8',
      ],
      ['10.0.0.0/33', 'CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: "10.0.0.0/33" has a prefix longer than 32 bits'],
      [
        '10.0.0.0/8,vpn/8',
        'CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: "vpn/8" does not start with an IPv4 or IPv6 address',
      ],
      [
        '10.1.2.3/8',
        'CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: "10.1.2.3/8" has host bits set; the range is 10.0.0.0/8',
      ],
      [
        '10.0.0.0/8;fd00::/8',
        'CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: "10.0.0.0/8;fd00::/8" is not a CIDR range such as 10.0.0.0/8 or fd00::/8',
      ],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...production, CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: value }),
        new ConfigError(message),
        value,
      );
    }
  });
});
