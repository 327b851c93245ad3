import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChartsideError } from '../errors/catalogue.ts';
import { parseCapabilityStatement, parseSmartConfiguration } from './discovery.ts';

const strict = { allowLoopbackHttp: false };
const sandbox = { allowLoopbackHttp: true };

describe('SMART discovery documents', () => {
  it('reads Cerner’s smart-configuration, including the hosts/ token URL', () => {
    const smart = parseSmartConfiguration(
      {
        issuer: 'https://authorization.cerner.com/tenants/t',
        authorization_endpoint:
          'https://authorization.cerner.com/tenants/t/protocols/oauth2/profiles/smart-v1/personas/provider/authorize',
        token_endpoint:
          'https://authorization.cerner.com/tenants/t/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token',
        jwks_uri: 'https://authorization.cerner.com/jwk',
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
        code_challenge_methods_supported: ['S256'],
        capabilities: ['launch-ehr', 'client-confidential-asymmetric'],
      },
      strict,
    );
    assert.equal(
      smart.tokenEndpoint,
      'https://authorization.cerner.com/tenants/t/hosts/fhir-ehr-code.cerner.com/protocols/oauth2/profiles/smart-v1/token',
    );
    assert.equal(smart.jwksUri, 'https://authorization.cerner.com/jwk');
    assert.deepEqual(smart.codeChallengeMethods, ['S256']);
    assert.equal(smart.source, 'smart-configuration');
  });

  it('refuses http endpoints for production sources and allows loopback http for sandbox sources', () => {
    const doc = {
      authorization_endpoint: 'http://localhost:4000/authorize',
      token_endpoint: 'http://localhost:4000/token',
    };
    assert.throws(
      () => parseSmartConfiguration(doc, strict),
      (error: unknown) => {
        return error instanceof ChartsideError && error.code === 'insecure_endpoint';
      },
    );
    assert.equal(parseSmartConfiguration(doc, sandbox).tokenEndpoint, 'http://localhost:4000/token');
    const remoteHttp = {
      authorization_endpoint: 'http://ehr.example/authorize',
      token_endpoint: 'http://ehr.example/token',
    };
    assert.throws(() => parseSmartConfiguration(remoteHttp, sandbox), /https/);
  });

  it('requires the authorization and token endpoints', () => {
    assert.throws(
      () => parseSmartConfiguration({ authorization_endpoint: 'https://a.example/x' }, strict),
      /no token endpoint/,
    );
    assert.throws(() => parseSmartConfiguration([], strict), /not a JSON object/);
  });

  it('reads the oauth-uris extension of a CapabilityStatement', () => {
    const smart = parseCapabilityStatement(
      {
        resourceType: 'CapabilityStatement',
        rest: [
          {
            security: {
              extension: [
                {
                  url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                  extension: [
                    { url: 'token', valueUri: 'https://ehr.example/token' },
                    { url: 'authorize', valueUri: 'https://ehr.example/authorize' },
                  ],
                },
              ],
            },
          },
        ],
      },
      strict,
    );
    assert.equal(smart.authorizationEndpoint, 'https://ehr.example/authorize');
    assert.equal(smart.tokenEndpoint, 'https://ehr.example/token');
    assert.equal(smart.source, 'metadata');
  });

  it('fails clearly on a CapabilityStatement without oauth-uris', () => {
    assert.throws(
      () => parseCapabilityStatement({ resourceType: 'CapabilityStatement', rest: [] }, strict),
      /no oauth-uris/,
    );
  });
});
