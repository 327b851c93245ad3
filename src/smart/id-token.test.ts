import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SmartConfiguration } from './discovery.ts';
import { isTrustedIdTokenIssuer } from './id-token.ts';

const cerner: SmartConfiguration = {
  issuer: 'https://authorization.cerner.com/tenants/t',
  authorizationEndpoint:
    'https://authorization.cerner.com/tenants/t/protocols/oauth2/profiles/smart-v1/personas/provider/authorize',
  tokenEndpoint:
    'https://authorization.cerner.com/tenants/t/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token',
  jwksUri: 'https://authorization.cerner.com/jwk',
  revocationEndpoint: null,
  tokenEndpointAuthMethods: [],
  tokenEndpointAuthSigningAlgs: [],
  codeChallengeMethods: [],
  capabilities: [],
  scopesSupported: [],
  source: 'smart-configuration',
};

describe('which id_token issuers are trusted', () => {
  it('accepts Cerner’s OIDC issuer, which differs from the advertised issuer (docs/cerner.md §6)', () => {
    assert.ok(isTrustedIdTokenIssuer('https://authorization.cerner.com/tenants/t/oidc/idsps/t/', cerner));
    assert.ok(isTrustedIdTokenIssuer('https://authorization.cerner.com/tenants/t', cerner));
  });

  it('refuses an issuer on another origin', () => {
    assert.ok(!isTrustedIdTokenIssuer('https://evil.example/tenants/t/oidc/idsps/t/', cerner));
    assert.ok(
      !isTrustedIdTokenIssuer('http://authorization.cerner.com/tenants/t', cerner),
      'scheme is part of the origin',
    );
    assert.ok(!isTrustedIdTokenIssuer('not a url', cerner));
  });
});
