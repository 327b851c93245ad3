import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChartsideError } from '../errors/catalogue.ts';
import { defaultScopesFor, normalizeScopes, VENDOR_PROFILES } from './vendor-profiles.ts';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ChartsideError && error.code === 'invalid_data' && error.param === 'scopes');
    return error.message;
  }
  assert.fail('expected a refusal');
};

describe('vendor profiles', () => {
  it('wildcards: SMART defines them (patient/*.rs, user/*.rs); Cerner and Epic are refused', () => {
    assert.equal(
      normalizeScopes('openid launch patient/*.rs user/*.rs', 'smart'),
      'openid launch patient/*.rs user/*.rs',
    );
    assert.equal(
      refusal(() => normalizeScopes('openid user/*.read', 'cerner')),
      'Wildcard scopes are not supported by Cerner; list each resource.',
    );
    assert.match(
      refusal(() => normalizeScopes('openid user/Patient.*', 'epic')),
      /not documented by Epic/,
    );
  });

  it('one resource-scope syntax per connection; duplicates dropped; bad characters refused', () => {
    assert.match(
      refusal(() => normalizeScopes('user/Patient.read user/Observation.rs', 'smart')),
      /mix SMART v1/,
    );
    assert.equal(normalizeScopes(' openid  launch openid ', 'cerner'), 'openid launch');
    assert.match(
      refusal(() => normalizeScopes('openid "launch"', 'cerner')),
      /not allowed/,
    );
    assert.match(
      refusal(() => normalizeScopes('   ', 'epic')),
      /must not be empty/,
    );
  });

  it('each vendor’s defaults pass its own rules', () => {
    for (const vendor of ['cerner', 'epic', 'smart'] as const) {
      assert.equal(normalizeScopes(defaultScopesFor(vendor), vendor), defaultScopesFor(vendor));
      assert.match(defaultScopesFor(vendor), /\bopenid fhirUser launch\b/);
    }
    assert.match(
      VENDOR_PROFILES.smart.defaultScopes,
      /user\/Patient\.rs/,
      'SMART 2 syntax for a generic EHR',
    );
    assert.equal(VENDOR_PROFILES.epic.defaultAuthMethod, 'private_key_jwt');
  });
});
