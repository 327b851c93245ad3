import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChartsideError } from '../errors/catalogue.ts';
import { NO_ADDRESS_RANGES, parseAddressRanges } from './address-ranges.ts';
import { assertAllowedUrl, isAllowedAddress, urlPolicyFor, urlPolicyForMode } from './url-policy.ts';

const onPremises = parseAddressRanges('10.0.0.0/8,fd00::/8');
const code = (fn: () => unknown): string => {
  try {
    fn();
    return 'allowed';
  } catch (error) {
    assert.ok(error instanceof ChartsideError, String(error));
    return error.code;
  }
};

describe('the URL policy of a FHIR source', () => {
  it('sandbox: loopback http, no address check, whatever the allowed ranges', () => {
    const policy = urlPolicyFor({ environment: 'sandbox' }, onPremises);
    assert.deepEqual(policy, {
      allowLoopbackHttp: true,
      publicAddressesOnly: false,
      allowedPrivateRanges: NO_ADDRESS_RANGES,
    });
    assert.equal(
      code(() => assertAllowedUrl('http://127.0.0.1:4000/r4/t', policy, 'FHIR base')),
      'allowed',
    );
    assert.equal(
      code(() => assertAllowedUrl('http://10.0.0.5/r4/t', policy, 'FHIR base')),
      'insecure_endpoint',
    );
  });

  it('production without allowed ranges: https to public addresses only (by literal host)', () => {
    const policy = urlPolicyFor({ environment: 'production' }, NO_ADDRESS_RANGES);
    for (const url of [
      'https://10.0.0.5/r4',
      'https://[fd00::5]/r4',
      'https://127.0.0.1/r4',
      'https://ehr.local/r4',
    ]) {
      assert.equal(
        code(() => assertAllowedUrl(url, policy, 'FHIR base')),
        'ehr_endpoint_not_allowed',
        url,
      );
    }
    assert.equal(
      code(() => assertAllowedUrl('https://93.184.215.14/r4', policy, 'x')),
      'allowed',
    );
    assert.equal(
      code(() => assertAllowedUrl('https://fhir.example.org/r4', policy, 'x')),
      'allowed',
    );
    assert.equal(isAllowedAddress('10.0.0.5', policy), false);
    assert.equal(isAllowedAddress('8.8.8.8', policy), true);
  });

  it('production with allowed ranges: addresses inside them pass, others still do not, and http never', () => {
    const policy = urlPolicyFor({ environment: 'production' }, onPremises);
    for (const url of ['https://10.0.0.5/r4', 'https://[fd00::5]/r4', 'https://[::ffff:10.0.0.5]/r4']) {
      assert.equal(
        code(() => assertAllowedUrl(url, policy, 'FHIR base')),
        'allowed',
        url,
      );
    }
    for (const url of ['https://192.168.1.5/r4', 'https://127.0.0.1/r4', 'https://169.254.169.254/latest']) {
      assert.equal(
        code(() => assertAllowedUrl(url, policy, 'FHIR base')),
        'ehr_endpoint_not_allowed',
        url,
      );
    }
    assert.equal(
      code(() => assertAllowedUrl('http://10.0.0.5/r4', policy, 'FHIR base')),
      'insecure_endpoint',
    );
    assert.equal(isAllowedAddress('10.9.9.9', policy), true);
    assert.equal(isAllowedAddress('172.16.0.1', policy), false);
    // On-premises names (often *.local or *.internal) are judged by what they resolve to.
    assert.equal(
      code(() => assertAllowedUrl('https://ehr.hospital.local/r4', policy, 'x')),
      'allowed',
    );
  });

  it('an unknown environment gets the production policy', () => {
    assert.deepEqual(
      urlPolicyFor({ environment: 'staging' }, onPremises),
      urlPolicyFor({ environment: 'production' }, onPremises),
    );
  });
});

describe('the URL policy of calls that belong to no source (the app’s CDS service, a CDS client’s JWKS)', () => {
  it('follows the gateway’s mode', () => {
    assert.deepEqual(
      urlPolicyForMode('production', onPremises),
      urlPolicyFor({ environment: 'production' }, onPremises),
    );
    for (const mode of ['development', 'test']) {
      assert.deepEqual(
        urlPolicyForMode(mode, onPremises),
        urlPolicyFor({ environment: 'sandbox' }, onPremises),
      );
    }
  });
});
