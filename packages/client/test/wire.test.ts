/**
 * What the client sends and how it reads answers, against a local server: FHIR writes (method,
 * path, content type, body, If-Match, Prefer), search parameters, paging that never sends the API
 * key to another host, and both error shapes (the API envelope, an OperationOutcome of ours or of
 * the EHR) read into one ChartsideApiError.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Bundle, Observation } from 'fhir/r4.js';
import { Chartside, ChartsideApiError, ChartsideConnectionError } from '../src/index.ts';
import { envelope, type FakeServer, startFakeServer } from './fake-server.ts';

const LAUNCH = '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de';
const observation: Observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { text: 'BP' },
};

describe('the client over the wire (a local server)', () => {
  let server: FakeServer;
  let other: FakeServer;
  let client: Chartside;
  before(async () => {
    server = await startFakeServer();
    other = await startFakeServer();
    client = new Chartside({ apiKey: 'cs_test_secret', baseUrl: `${server.url}/gateway`, retries: 0 });
  });
  after(async () => {
    await server.close();
    await other.close();
  });
  beforeEach(() => {
    server.received.length = 0;
    other.received.length = 0;
  });

  it('writes: POST, PUT, PATCH and DELETE with FHIR JSON or JSON Patch, If-Match and Prefer', async () => {
    server.answer = (request) =>
      request.method === 'DELETE'
        ? { status: 204 }
        : { status: 201, headers: { location: 'L', etag: 'W/"2"' }, body: observation };
    const fhir = client.fhir(LAUNCH);
    const created = await fhir.create(observation, { prefer: 'return=representation' });
    assert.deepEqual(created, { status: 201, location: 'L', etag: 'W/"2"', resource: observation });
    await fhir.update(observation, { ifMatch: 'W/"1"' });
    await fhir.patch('Observation', 'o1', [{ op: 'replace', path: '/status', value: 'amended' }]);
    const deleted = await fhir.delete('Observation', 'o1');
    assert.deepEqual(deleted, { status: 204, location: null, etag: null, resource: null });

    const base = `/gateway/fhir/${LAUNCH}`;
    assert.deepEqual(
      server.received.map((r) => [r.method, r.path, r.headers['content-type'] ?? null]),
      [
        ['POST', `${base}/Observation`, 'application/fhir+json'],
        ['PUT', `${base}/Observation/o1`, 'application/fhir+json'],
        ['PATCH', `${base}/Observation/o1`, 'application/json-patch+json'],
        ['DELETE', `${base}/Observation/o1`, null],
      ],
    );
    const [post, put, patch] = server.received;
    assert.deepEqual(JSON.parse(post?.body ?? ''), observation);
    assert.equal(post?.headers.prefer, 'return=representation');
    assert.equal(put?.headers['if-match'], 'W/"1"');
    assert.deepEqual(JSON.parse(patch?.body ?? ''), [{ op: 'replace', path: '/status', value: 'amended' }]);
    for (const request of server.received) {
      assert.equal(request.headers.authorization, 'Bearer cs_test_secret');
      assert.equal(request.headers.accept, 'application/fhir+json');
    }
  });

  it('search parameters: repeated for arrays, encoded, undefined ones left out', async () => {
    server.answer = () => ({ status: 200, body: { resourceType: 'Bundle', type: 'searchset' } });
    await client.fhir(LAUNCH).search('Observation', {
      patient: '123',
      code: ['8867-4', '9279-1'],
      date: 'ge2026-01-01T00:00:00+01:00',
      _count: 10,
      category: undefined,
    });
    assert.equal(
      server.received[0]?.path,
      `/gateway/fhir/${LAUNCH}/Observation?patient=123&code=8867-4&code=9279-1&date=ge2026-01-01T00%3A00%3A00%2B01%3A00&_count=10`,
    );
  });

  it('refuses a resource type that is not one, or a path out of the launch, before sending anything', async () => {
    await assert.rejects(client.fhir(LAUNCH).read('../admin' as 'Patient', '1'), TypeError);
    await assert.rejects(client.fhir(LAUNCH).request('GET', '../../launch-contexts/x'), /not under/);
    await assert.rejects(client.fhir(LAUNCH).request('GET', `${other.url}/steal`), /not under/);
    assert.equal(server.received.length, 0);
    assert.equal(other.received.length, 0);
    server.answer = () => ({ status: 200, body: {} });
    await client.fhir(LAUNCH).request('GET', 'Patient/1/$everything?_count=1');
    assert.equal(server.received[0]?.path, `/gateway/fhir/${LAUNCH}/Patient/1/$everything?_count=1`);
  });

  it('pages through next links on the gateway, and never sends the key to another host', async () => {
    const page = (n: number, next: string | null): Bundle<Observation> => ({
      resourceType: 'Bundle',
      type: 'searchset',
      link: next ? [{ relation: 'next', url: next }] : [],
      entry: [
        { resource: { ...observation, id: `o${n}` } },
        { resource: { resourceType: 'Patient', id: 'p' } as never, search: { mode: 'include' } },
      ],
    });
    server.answer = (request) =>
      request.path.includes('page=2')
        ? { status: 200, body: page(2, `${other.url}/steal?page=3`) }
        : { status: 200, body: page(1, `${server.url}/gateway/fhir/${LAUNCH}/Observation?page=2`) };
    const seen: string[] = [];
    const paging = (async () => {
      for await (const found of client.fhir(LAUNCH).searchAll('Observation', { patient: '1' })) {
        seen.push(found.id as string);
      }
    })();
    await assert.rejects(paging, /Refusing to send the API key/);
    assert.deepEqual(seen, ['o1', 'o2'], 'matches only, the included Patient left out');
    assert.equal(server.received.length, 2);
    assert.equal(other.received.length, 0, 'nothing went to the other host');
  });

  it('stops paging at a next link it has already followed', async () => {
    const loop = `${server.url}/gateway/fhir/${LAUNCH}/Observation?page=2`;
    server.answer = () => ({
      status: 200,
      body: { resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: loop }], entry: [] },
    });
    const pages: unknown[] = [];
    for await (const bundle of client.fhir(LAUNCH).pages('Observation')) pages.push(bundle);
    assert.equal(pages.length, 2);
  });

  it('reads the API envelope into a ChartsideApiError', async () => {
    server.answer = () => ({
      status: 404,
      headers: { 'x-request-id': 'req-header' },
      body: { error: { ...envelope('not_found_error', 'resource_not_found', 'req-1').error, param: 'id' } },
    });
    const error = await client.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.deepEqual(
      [error.status, error.code, error.type, error.message, error.param, error.requestId, error.outcome],
      [404, 'resource_not_found', 'not_found_error', 'Nope.', 'id', 'req-1', null],
    );
  });

  it('reads our OperationOutcome (code in details.coding, request id in diagnostics) and the EHR’s', async () => {
    const ours = {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'expired',
          details: {
            coding: [{ system: 'urn:chartside:error-code', code: 'token_unavailable' }],
            text: 'Gone.',
          },
          diagnostics: 'Chartside request id 6b1d9e0c-1111-4222-8333-944455556666',
        },
      ],
    };
    server.answer = () => ({ status: 502, body: ours });
    const error = await client
      .fhir(LAUNCH)
      .read('Patient', '1')
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.deepEqual(
      [error.status, error.code, error.type, error.message, error.requestId],
      [502, 'token_unavailable', 'ehr_error', 'Gone.', '6b1d9e0c-1111-4222-8333-944455556666'],
    );
    assert.deepEqual(error.outcome, ours);

    const ehr = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'not-found', diagnostics: 'No Patient 1' }],
    };
    server.answer = () => ({ status: 404, headers: { 'x-request-id': 'req-2' }, body: ehr });
    const relayed = await client
      .fhir(LAUNCH)
      .read('Patient', '1')
      .catch((thrown: unknown) => thrown);
    assert.ok(relayed instanceof ChartsideApiError);
    assert.deepEqual(
      [relayed.status, relayed.code, relayed.type, relayed.message, relayed.requestId],
      [404, 'fhir_error', 'ehr_error', 'No Patient 1', 'req-2'],
    );
  });

  it('anything else is `unexpected_response`; an HTTP-date Retry-After becomes seconds', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toUTCString();
    server.answer = () => ({
      status: 502,
      headers: { 'content-type': 'text/html', 'retry-after': inTwoMinutes },
      body: '<h1>Bad gateway</h1>',
    });
    const error = await client.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.equal(error.code, 'unexpected_response');
    assert.ok(
      error.retryAfter !== null && error.retryAfter >= 118 && error.retryAfter <= 121,
      String(error.retryAfter),
    );
  });

  it('a refused connection, or no answer within the timeout, is a ChartsideConnectionError', async () => {
    const refused = new Chartside({ apiKey: 'k', baseUrl: 'http://127.0.0.1:9', retries: 0 });
    const error = await refused.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideConnectionError);
    assert.equal(error.timedOut, false);

    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const hurried = new Chartside({
        apiKey: 'k',
        baseUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 200,
        retries: 0,
      });
      const late = await hurried.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
      assert.ok(late instanceof ChartsideConnectionError);
      assert.equal(late.timedOut, true);
      assert.match(late.message, /no answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
