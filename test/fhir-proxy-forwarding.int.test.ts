/**
 * What the proxy relays, byte for byte, against a scripted EHR (the sandbox does not take
 * writes): methods, bodies, conditional headers, Location rewriting, EHR errors, size limits,
 * timeouts and redirects.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../src/api/api-keys.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { createPendingLaunch } from '../src/launch/ehr-launches.ts';
import { completeLaunch } from '../src/launch/launch-completion.ts';
import { newState } from '../src/launch/launch-state.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { auditOfRequest, firstIssue, proxyFetch } from './support/fhir-proxy.ts';
import { freePort } from './support/ports.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Script = (request: Received, response: ServerResponse) => void;

describe('FHIR proxy relaying (scripted EHR)', () => {
  let ehr: Server;
  let ehrBase: string;
  let script: Script;
  let received: Received[] = [];
  let database: TestDatabase;
  let gateway: FastifyInstance;
  let gatewayUrl: string;
  let apiKey: string;
  let launchId: string;
  const fhir = (path: string, init?: RequestInit) => proxyFetch(gatewayUrl, apiKey, launchId, path, init);

  before(async () => {
    ehr = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const entry = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        received.push(entry);
        script(entry, response);
      });
    });
    await new Promise<void>((resolve) => ehr.listen(0, '127.0.0.1', resolve));
    ehrBase = `http://127.0.0.1:${(ehr.address() as AddressInfo).port}/r4/tenant-a`;

    database = await createTestDatabase('sqlite');
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      CHARTSIDE_ENV: 'test',
      PORT: String(port),
      PUBLIC_URL: gatewayUrl,
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      CHARTSIDE_FHIR_TIMEOUT_MS: '400',
      CHARTSIDE_FHIR_MAX_RESPONSE_BYTES: '4096',
      CHARTSIDE_FHIR_MAX_REQUEST_BYTES: '2048',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
    });
    gateway = await buildApp(config);
    await gateway.listen({ host: '127.0.0.1', port });

    // A ready launch against the scripted EHR, as the callback would have stored it.
    const { db, sealer } = gateway.services;
    const org = await createOrganization(db, { name: 'Relay Clinic' });
    const source = await addFhirSource(db, { iss: ehrBase, vendor: 'smart', environment: 'sandbox' });
    const pending = {
      orgId: org.id,
      fhirSourceId: source.id,
      environment: source.environment,
      iss: ehrBase,
      clientId: 'relay-client',
      requestedScope: 'launch user/*.cruds',
      codeVerifier: 'v'.repeat(43),
      redirectUri: `${gatewayUrl}/api/auth/smart/launch-callback`,
      requestId: 'seed',
    };
    launchId = await createPendingLaunch(db, sealer, pending, newState());
    await completeLaunch(
      db,
      sealer,
      { id: launchId, orgId: org.id, fhirSourceId: source.id },
      {
        accessToken: 'scripted-access-token',
        refreshToken: null,
        expiresIn: 3600,
        scope: 'launch user/Observation.cruds',
        patient: '123',
        encounter: null,
        needPatientBanner: null,
        smartStyleUrl: null,
        tenant: null,
        idTokenClaims: null,
        fhirUser: null,
      },
      'seed',
    );
    apiKey = (await createApiKey(db, org.id, 'test')).key;
  });

  after(async () => {
    await gateway.close();
    ehr.closeAllConnections();
    await new Promise((resolve) => ehr.close(resolve));
    await database.drop();
  });

  beforeEach(() => {
    received = [];
  });

  it('relays a create byte for byte with its headers, and rewrites the Location and the body’s URLs', async () => {
    const resource = '{"resourceType":"Observation","status":"final","code":{"text":"ü"}}';
    script = (_request, response) => {
      response.writeHead(201, {
        'content-type': 'application/fhir+json',
        location: `${ehrBase}/Observation/9/_history/1`,
        etag: 'W/"1"',
        'set-cookie': 'ehr-session=secret',
        'www-authenticate': 'Bearer realm="ehr"',
      });
      response.end(
        `{"resourceType":"Observation","id":"9","subject":{"reference":"${ehrBase}/Patient/123"},` +
          `"note":[{"text":"${ehrBase.replaceAll('/', '\\/')}\\/Patient\\/123"}],"other":"${ehrBase}2/Patient/1"}`,
      );
    };
    const { response, body } = await fhir('Observation', {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json; charset=utf-8',
        'if-none-exist': 'identifier=abc',
        prefer: 'return=representation',
        cookie: 'app-cookie=1',
        'x-forwarded-for': '10.0.0.1',
      },
      body: resource,
    });
    assert.equal(response.status, 201);
    const proxyBase = `${gatewayUrl}/fhir/${launchId}`;
    assert.equal(response.headers.get('location'), `${proxyBase}/Observation/9/_history/1`);
    assert.equal(response.headers.get('etag'), 'W/"1"');
    assert.equal(response.headers.get('set-cookie'), null, 'EHR cookies stay behind');
    assert.equal(response.headers.get('www-authenticate'), null, 'the EHR’s challenge is not the app’s');
    assert.deepEqual(body?.subject, { reference: `${proxyBase}/Patient/123` });
    assert.deepEqual(body?.note, [{ text: `${proxyBase}/Patient/123` }], 'JSON-escaped URLs too');
    assert.equal(body?.other, `${ehrBase}2/Patient/1`, 'a longer base is another base');

    const [sent] = received;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.url, '/r4/tenant-a/Observation');
    assert.equal(sent?.body, resource);
    assert.equal(sent?.headers['content-type'], 'application/fhir+json; charset=utf-8');
    assert.equal(sent?.headers['if-none-exist'], 'identifier=abc');
    assert.equal(sent?.headers.prefer, 'return=representation');
    assert.equal(sent?.headers.authorization, 'Bearer scripted-access-token');
    assert.equal(sent?.headers.cookie, undefined);
    assert.equal(sent?.headers['x-forwarded-for'], undefined);
  });

  it('relays conditional updates, patches and deletes, and the EHR’s own error statuses', async () => {
    script = (request, response) => {
      const status = request.method === 'PUT' ? 412 : request.method === 'PATCH' ? 200 : 500;
      response.writeHead(status, { 'content-type': 'application/fhir+json' });
      response.end(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"${status}"}]}`);
    };
    const put = await fhir('Observation/9', {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', 'if-match': 'W/"1"' },
      body: '{"resourceType":"Observation","id":"9"}',
    });
    assert.equal(put.response.status, 412);
    assert.equal(firstIssue(put.body).code, '412');
    const patch = await fhir('Observation/9', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: '[{"op":"replace","path":"/status","value":"amended"}]',
    });
    assert.equal(patch.response.status, 200);
    const deleted = await fhir('Observation/9', { method: 'DELETE' });
    assert.equal(deleted.response.status, 500, 'an EHR 500 is relayed as such');
    assert.deepEqual(
      received.map((request) => [request.method, request.url, request.headers['if-match'] ?? null]),
      [
        ['PUT', '/r4/tenant-a/Observation/9', 'W/"1"'],
        ['PATCH', '/r4/tenant-a/Observation/9', null],
        ['DELETE', '/r4/tenant-a/Observation/9', null],
      ],
    );
    assert.equal(received[1]?.headers['content-type'], 'application/json-patch+json');
  });

  it('refuses a request body over the limit (413) without calling the EHR', async () => {
    const { response, body } = await fhir('Observation', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Observation', text: 'x'.repeat(3000) }),
    });
    assert.equal(response.status, 413);
    assert.equal(firstIssue(body).code, 'too-long');
    assert.equal(received.length, 0);
  });

  it('answers 502 for a declared response over the limit, and cuts off a streamed one', async () => {
    script = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': '5000' });
      response.end(`{"x":"${'a'.repeat(4992)}"}`);
    };
    const declared = await fhir('Observation?patient=123');
    assert.equal(declared.response.status, 502);
    assert.equal(firstIssue(declared.body).details.coding[0]?.code, 'fhir_response_too_large');

    script = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' }); // chunked, no length
      response.write(`{"resourceType":"Bundle","entry":[${'{"x":1},'.repeat(300)}`);
      setTimeout(() => response.end(`${'{"x":1},'.repeat(300)}{}]}`), 20);
    };
    const streamed = await fetch(`${gatewayUrl}/fhir/${launchId}/Observation?patient=1`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    assert.equal(streamed.status, 200, 'the status went out before the size was known');
    await assert.rejects(streamed.text(), 'the body is cut off, not completed');
    const cut = await auditOfRequest(gateway.services.db, streamed.headers.get('x-request-id'));
    assert.equal(cut?.details.truncated, true);
    assert.equal(cut?.details.ehr_status, 200);
  });

  it('answers 504 when the EHR does not answer in time, and 502 for a redirect it will not follow', async () => {
    script = () => {}; // never answers
    const slow = await fhir('Patient/123');
    assert.equal(slow.response.status, 504);
    assert.equal(firstIssue(slow.body).code, 'timeout');

    script = (_request, response) => {
      response.writeHead(302, { location: 'https://elsewhere.example/r4/Patient/123' });
      response.end();
    };
    const moved = await fhir('Patient/123');
    assert.equal(moved.response.status, 502);
    assert.equal(firstIssue(moved.body).details.coding[0]?.code, 'fhir_error');
  });

  it('a 401 from the EHR with no refresh token to renew with answers token_unavailable after one call', async () => {
    script = (_request, response) => {
      response.writeHead(401, { 'content-type': 'application/fhir+json', 'www-authenticate': 'Bearer' });
      response.end('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]}');
    };
    const { response, body } = await fhir('Patient/123');
    assert.equal(response.status, 502);
    assert.equal(firstIssue(body).details.coding[0]?.code, 'token_unavailable');
    assert.equal(received.length, 1);
  });

  it('rewrites paging Link headers and relays a wildcard Accept as FHIR JSON', async () => {
    script = (_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/fhir+json',
        link: `<${ehrBase}/Patient?page=2>; rel="next"`,
      });
      response.end('{"resourceType":"Bundle","type":"searchset"}');
    };
    const { response } = await fhir('Patient?name=x', { headers: { accept: '*/*' } });
    assert.equal(response.headers.get('link'), `<${gatewayUrl}/fhir/${launchId}/Patient?page=2>; rel="next"`);
    assert.equal(received[0]?.headers.accept, 'application/fhir+json');
    assert.equal(received[0]?.url, '/r4/tenant-a/Patient?name=x');
  });
});
