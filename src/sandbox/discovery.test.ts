import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { buildSandbox } from './index.ts';
import { get, providerApp, sandboxForSuite, startTestSandbox } from './test-support.ts';

describe('sandbox discovery (S3)', () => {
  const sandbox = sandboxForSuite(startTestSandbox);
  let tenantBase: string;
  let host: string;

  before(() => {
    tenantBase = `${sandbox.origin}/tenants/${sandbox.tenant}`;
    host = new URL(sandbox.origin).host;
  });

  it('serves the FHIR base at /r4/{tenant} without a trailing slash', () => {
    assert.equal(sandbox.tenant, 'ec2458f2-1e24-41c8-b71b-0e701af7583d');
    assert.equal(sandbox.fhirBaseUrl, `${sandbox.origin}/r4/${sandbox.tenant}`);
    assert.ok(!sandbox.origin.endsWith('/'));
  });

  it('answers smart-configuration in the 2026 shape with the hosts/ token URL (docs/cerner.md §2)', async () => {
    const response = await get(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), [
      'authorization_endpoint',
      'capabilities',
      'code_challenge_methods_supported',
      'grant_types_supported',
      'introspection_endpoint',
      'issuer',
      'jwks_uri',
      'management_endpoint',
      'response_types_supported',
      'revocation_endpoint',
      'scopes_supported',
      'token_endpoint',
      'token_endpoint_auth_methods_supported',
      'token_endpoint_auth_signing_alg_values_supported',
    ]);
    assert.equal(body.issuer, tenantBase);
    assert.equal(
      body.authorization_endpoint,
      `${tenantBase}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize`,
    );
    assert.equal(body.token_endpoint, `${tenantBase}/hosts/${host}/protocols/oauth2/profiles/smart-v1/token`);
    assert.equal(body.revocation_endpoint, `${tenantBase}/protocols/oauth2/profiles/smart-v1/token/revoke`);
    assert.equal(body.jwks_uri, `${sandbox.origin}/jwk`);
    assert.equal(body.management_endpoint, `${tenantBase}/personas/provider/my-authorizations`);
    assert.equal(body.introspection_endpoint, `${sandbox.origin}/tokeninfo`);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt']);
    assert.deepEqual(body.token_endpoint_auth_signing_alg_values_supported, ['RS384', 'ES384']);
    assert.deepEqual(body.grant_types_supported, ['authorization_code', 'client_credentials']);
    assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(body.response_types_supported, ['code']);
    const capabilities = body.capabilities as string[];
    assert.equal(capabilities.length, 18);
    for (const capability of [
      'launch-ehr',
      'client-confidential-asymmetric',
      'permission-v2',
      'context-ehr-encounter',
    ]) {
      assert.ok(capabilities.includes(capability), capability);
    }
    const scopes = body.scopes_supported as string[];
    for (const scope of [
      'launch',
      'online_access',
      'offline_access',
      'fhirUser',
      'user/Patient.read',
      'patient/Observation.rs',
    ]) {
      assert.ok(scopes.includes(scope), scope);
    }
  });

  it('answers 404 for smart-configuration of an unknown tenant', async () => {
    const response = await get(`${sandbox.origin}/r4/not-a-tenant/.well-known/smart-configuration`);
    assert.equal(response.status, 404);
  });

  it('serves /metadata without auth, with the oauth-uris extension (docs/cerner.md §2)', async () => {
    const response = await get(`${sandbox.fhirBaseUrl}/metadata`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/fhir\+json/);
    const body = (await response.json()) as {
      resourceType: string;
      fhirVersion: string;
      kind: string;
      publisher: string;
      rest: {
        security: {
          cors: boolean;
          service: { coding: { code: string }[] }[];
          extension: { url: string; extension: { url: string; valueUri: string }[] }[];
        };
        resource: { type: string }[];
      }[];
    };
    assert.equal(body.resourceType, 'CapabilityStatement');
    assert.equal(body.fhirVersion, '4.0.1');
    assert.equal(body.kind, 'instance');
    assert.equal(body.publisher, 'Oracle Health');
    const security = body.rest[0]?.security;
    assert.equal(security?.cors, true);
    assert.equal(security?.service[0]?.coding[0]?.code, 'SMART-on-FHIR');
    const oauth = security?.extension.find(
      (ext) => ext.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
    );
    assert.deepEqual(
      oauth?.extension.map((ext) => [ext.url, ext.valueUri]),
      [
        ['token', `${tenantBase}/hosts/${host}/protocols/oauth2/profiles/smart-v1/token`],
        ['revoke', `${tenantBase}/protocols/oauth2/profiles/smart-v1/token/revoke`],
        ['authorize', `${tenantBase}/protocols/oauth2/profiles/smart-v1/personas/provider/authorize`],
        ['manage', `${tenantBase}/personas/provider/my-authorizations`],
        ['introspect', `${sandbox.origin}/tokeninfo`],
      ],
    );
    assert.deepEqual(
      body.rest[0]?.resource.map((resource) => resource.type),
      [
        'Patient',
        'Encounter',
        'Observation',
        'Practitioner',
        'Condition',
        'AllergyIntolerance',
        'MedicationRequest',
      ],
    );
  });

  it('publishes the JWKS in Cerner shape: EC P-256, EC P-384 and RSA, no alg or use (docs/cerner.md §6)', async () => {
    const response = await get(`${sandbox.origin}/jwk`);
    assert.equal(response.status, 200);
    const { keys } = (await response.json()) as { keys: Record<string, string>[] };
    assert.deepEqual(
      keys.map((key) => [key.kty, key.crv ?? null]),
      [
        ['EC', 'P-256'],
        ['EC', 'P-384'],
        ['RSA', null],
      ],
    );
    for (const key of keys) {
      assert.equal(key.alg, undefined);
      assert.equal(key.use, undefined);
      assert.equal(key.d, undefined, 'no private parts');
    }
    assert.match(keys[0]?.kid ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\.ec\.es256$/);
    assert.match(keys[2]?.kid ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\.rsa$/);
  });

  it('serves the OIDC discovery document under the idsp issuer (docs/cerner.md §6)', async () => {
    const response = await get(`${tenantBase}/oidc/idsps/${sandbox.tenant}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.issuer, `${tenantBase}/oidc/idsps/${sandbox.tenant}/`);
    assert.equal(body.jwks_uri, `${sandbox.origin}/jwk`);
    assert.deepEqual(body.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(body.subject_types_supported, ['public']);
    assert.deepEqual(body.response_types_supported, ['code']);
  });

  it('serves the SMART style file', async () => {
    const response = await get(`${sandbox.origin}/styles/smart-v1.json`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(typeof body.color_background, 'string');
  });

  it('redirects / to My Applications', async () => {
    const response = await get(`${sandbox.origin}/`);
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/developer/smart-on-fhir/apps');
  });
});

describe('sandbox origin', () => {
  it('advertises publicOrigin (without its trailing slash) in every URL', async () => {
    const app = await buildSandbox({ apps: [providerApp()], publicOrigin: 'https://ehr.example.test/' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      const tenant = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
      const response = await get(`http://127.0.0.1:${port}/r4/${tenant}/.well-known/smart-configuration`);
      const body = (await response.json()) as Record<string, string>;
      assert.equal(body.issuer, `https://ehr.example.test/tenants/${tenant}`);
      assert.equal(
        body.token_endpoint,
        `https://ehr.example.test/tenants/${tenant}/hosts/ehr.example.test/protocols/oauth2/profiles/smart-v1/token`,
      );
    } finally {
      await app.close();
    }
  });

  it('reports the public origin it was given from startSandbox', async () => {
    const sandbox = await startTestSandbox({ publicOrigin: 'https://ehr.example.test/' });
    await sandbox.close();
    assert.equal(sandbox.origin, 'https://ehr.example.test');
    assert.equal(sandbox.fhirBaseUrl, `https://ehr.example.test/r4/${sandbox.tenant}`);
  });
});
