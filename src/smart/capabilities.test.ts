import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertionAlgorithm,
  capabilityMismatches,
  type LaunchShape,
  offersStandaloneEncounter,
  scopesNotAdvertised,
} from './capabilities.ts';
import type { SmartConfiguration } from './discovery.ts';

const SMART2: SmartConfiguration = {
  issuer: 'https://ehr.example',
  authorizationEndpoint: 'https://ehr.example/authorize',
  tokenEndpoint: 'https://ehr.example/token',
  jwksUri: null,
  revocationEndpoint: null,
  tokenEndpointAuthMethods: ['client_secret_basic', 'private_key_jwt'],
  tokenEndpointAuthSigningAlgs: ['RS384', 'ES384'],
  codeChallengeMethods: ['S256'],
  capabilities: [
    'launch-ehr',
    'launch-standalone',
    'client-confidential-symmetric',
    'client-confidential-asymmetric',
    'permission-v1',
    'permission-v2',
  ],
  scopesSupported: ['openid', 'fhirUser', 'launch', 'user/Patient.rs'],
  source: 'smart-configuration',
};
const BASIC: LaunchShape = {
  mode: 'ehr',
  authMethod: 'client_secret_basic',
  signingAlg: null,
  scopes: 'openid fhirUser launch user/Patient.rs',
};
const messages = (smart: Partial<SmartConfiguration>, shape: Partial<LaunchShape> = {}) =>
  capabilityMismatches({ ...SMART2, ...smart }, { ...BASIC, ...shape }).map(
    (m) => `${m.field}: ${m.message}`,
  );

describe('the launch against the EHR’s SMART configuration (SMART 2.2 §Conformance)', () => {
  it('a SMART 2 EHR that offers everything: no mismatch, whatever the mode, method or algorithm', () => {
    assert.deepEqual(messages({}), []);
    assert.deepEqual(
      messages({}, { mode: 'standalone', authMethod: 'private_key_jwt', signingAlg: 'ES384' }),
      [],
    );
  });

  it('empty lists say nothing (SMART v1, the CapabilityStatement fallback): only standalone needs saying', () => {
    const silent = {
      capabilities: [],
      codeChallengeMethods: [],
      tokenEndpointAuthMethods: [],
      tokenEndpointAuthSigningAlgs: [],
    };
    assert.deepEqual(
      messages(silent, {
        authMethod: 'private_key_jwt',
        signingAlg: 'ES384',
        scopes: 'launch user/Patient.read',
      }),
      [],
    );
    assert.deepEqual(messages(silent, { mode: 'standalone' }), [
      'capabilities: The EHR does not advertise standalone launch (capability launch-standalone): open the app from the EHR instead.',
    ]);
  });

  it('names each mismatch: launch mode, PKCE, client authentication, algorithm, scope syntax', () => {
    assert.deepEqual(messages({ capabilities: ['launch-standalone'] }), [
      'capabilities: The EHR does not advertise EHR launch (capability launch-ehr).',
      'capabilities: The connection authenticates with client_secret_basic, but the EHR does not advertise client-confidential-symmetric.',
    ]);
    assert.deepEqual(messages({ codeChallengeMethods: ['plain'] }), [
      'code_challenge_methods_supported: The EHR does not offer PKCE S256 (it lists plain); Chartside always uses S256.',
    ]);
    assert.deepEqual(
      messages({ tokenEndpointAuthMethods: ['client_secret_basic'] }, { authMethod: 'private_key_jwt' }),
      [
        'token_endpoint_auth_methods_supported: The connection authenticates with private_key_jwt, but the EHR’s token endpoint accepts only client_secret_basic.',
      ],
    );
    assert.deepEqual(
      messages(
        { tokenEndpointAuthSigningAlgs: ['RS384'] },
        { authMethod: 'private_key_jwt', signingAlg: 'ES384' },
      ),
      [
        'token_endpoint_auth_signing_alg_values_supported: The connection signs its client assertion with ES384, but the EHR accepts only RS384.',
      ],
    );
    assert.deepEqual(
      messages({ tokenEndpointAuthSigningAlgs: ['RS256'] }, { authMethod: 'private_key_jwt' }),
      [
        'token_endpoint_auth_signing_alg_values_supported: The EHR accepts client assertions signed with RS256 only; Chartside signs RS384 or ES384.',
      ],
    );
    assert.deepEqual(
      messages({ tokenEndpointAuthSigningAlgs: ['RS256'] }),
      [],
      'algorithms matter to private_key_jwt only',
    );
  });

  it('scope syntax: v2 to a v1-only EHR and v1 to a v2-only one name what to request instead; granular needs v2', () => {
    const v1Only = ['launch-ehr', 'client-confidential-symmetric', 'permission-v1'];
    assert.deepEqual(messages({ capabilities: v1Only }), [
      'capabilities: The EHR advertises SMART v1 scopes only (permission-v1). Request “openid fhirUser launch user/Patient.read” instead.',
    ]);
    const v2Only = ['launch-ehr', 'client-confidential-symmetric', 'permission-v2'];
    assert.deepEqual(messages({ capabilities: v2Only }, { scopes: 'launch user/Patient.read' }), [
      'capabilities: The EHR advertises SMART v2 scopes only (permission-v2). Request “launch user/Patient.rs” instead.',
    ]);
    assert.deepEqual(
      messages({ capabilities: v1Only }, { scopes: 'launch user/Observation.rs?category=laboratory' }),
      [
        'capabilities: The EHR does not advertise SMART v2 scopes (permission-v2), so it cannot take granular scopes: user/Observation.rs?category=laboratory.',
      ],
    );
  });

  it('the assertion algorithm: the connection’s, else RS384 unless the EHR lists only ES384', () => {
    assert.equal(assertionAlgorithm('ES384', ['RS384']), 'ES384');
    assert.equal(assertionAlgorithm(null, []), 'RS384');
    assert.equal(assertionAlgorithm(null, ['ES384', 'RS384']), 'RS384');
    assert.equal(assertionAlgorithm(null, ['ES384']), 'ES384');
    assert.equal(assertionAlgorithm(null, undefined), 'RS384');
  });

  it('scopes_supported is a hint; context-standalone-encounter adds launch/encounter', () => {
    assert.deepEqual(scopesNotAdvertised(SMART2, 'openid launch user/Observation.rs'), [
      'user/Observation.rs',
    ]);
    assert.deepEqual(scopesNotAdvertised({ ...SMART2, scopesSupported: [] }, 'anything'), []);
    assert.equal(offersStandaloneEncounter(SMART2), false);
    assert.equal(
      offersStandaloneEncounter({ ...SMART2, capabilities: ['context-standalone-encounter'] }),
      true,
    );
  });
});
