/**
 * Retries over the wire against a local server: a 429 or 503 is sent again after `Retry-After`
 * (or an exponential backoff), nothing else is; a POST only when the first was certainly not
 * carried out; a wait longer than allowed is thrown, not slept.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Chartside, ChartsideApiError } from '../src/index.ts';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../src/retry.ts';
import { envelope, type FakeServer, startFakeServer } from './fake-server.ts';

const LAUNCH = '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de';
const context = { id: LAUNCH, resource_type: 'launch_context', status: 'ready' };
const ehrOutcome = (code: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code, diagnostics: 'EHR busy' }],
});

describe('retries (a local server answering 429 and 503)', () => {
  let server: FakeServer;
  let client: Chartside;
  before(async () => {
    server = await startFakeServer();
    client = new Chartside({ apiKey: 'cs_test_key', baseUrl: server.url, retries: 2, retryBaseDelayMs: 50 });
  });
  after(() => server.close());
  beforeEach(() => {
    server.received.length = 0;
  });

  it('waits the Retry-After seconds after a 429, then succeeds on the second attempt', async () => {
    server.answer = (_request, n) =>
      n === 0
        ? {
            status: 429,
            headers: { 'retry-after': '1' },
            body: envelope('rate_limit_error', 'rate_limited', 'r1'),
          }
        : { status: 200, body: context };
    const answer = await client.getLaunchContext(LAUNCH);
    assert.equal(answer.status, 'ready');
    assert.equal(server.received.length, 2);
    const [first, second] = server.received;
    const waited = (second?.at ?? 0) - (first?.at ?? 0);
    assert.ok(waited >= 950 && waited < 3000, `waited ${waited} ms for Retry-After: 1`);
    for (const request of server.received) {
      assert.equal(request.method, 'GET');
      assert.equal(request.path, `/launch-contexts/${LAUNCH}`);
      assert.equal(request.headers.authorization, 'Bearer cs_test_key');
      assert.equal(request.headers.version, '2026-11-29');
    }
  });

  it('backs off exponentially on 503 without Retry-After, and gives up after `retries`', async () => {
    server.answer = () => ({ status: 503, body: envelope('api_error', 'database_unavailable', 'r2') });
    const error = await client.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'database_unavailable');
    assert.equal(server.received.length, 3, 'the first attempt and two retries');
    const gaps = server.received.slice(1).map((request, i) => request.at - (server.received[i]?.at ?? 0));
    assert.ok((gaps[0] ?? 0) >= 20, `first gap ${gaps[0]}`);
    assert.ok((gaps[1] ?? 0) >= 45, `second gap ${gaps[1]} (doubled)`);
  });

  it('never retries other statuses', async () => {
    for (const [status, code] of [
      [500, 'internal_error'],
      [502, 'token_unavailable'],
      [404, 'resource_not_found'],
      [401, 'invalid_api_key'],
    ] as const) {
      server.received.length = 0;
      server.answer = () => ({ status, body: envelope('api_error', code, 'r3') });
      await assert.rejects(client.getLaunchContext(LAUNCH), { status, code });
      assert.equal(server.received.length, 1, `HTTP ${status} is not retried`);
    }
  });

  it('a POST is retried after a 429, but not after an EHR’s 503 (it may have been carried out)', async () => {
    const fhir = client.fhir(LAUNCH);
    const observation = { resourceType: 'Observation', status: 'final', code: { text: 'x' } } as const;
    server.answer = (_request, n) =>
      n === 0
        ? { status: 429, headers: { 'retry-after': '0' } }
        : { status: 201, headers: { location: 'L' } };
    const created = await fhir.create(observation);
    assert.equal(created.status, 201);
    assert.equal(server.received.length, 2);

    server.received.length = 0;
    server.answer = () => ({ status: 503, body: ehrOutcome('transient') });
    await assert.rejects(fhir.create(observation), { status: 503, code: 'fhir_error' });
    assert.equal(server.received.length, 1, 'a POST answered 503 by the EHR is not sent again');

    server.received.length = 0;
    await assert.rejects(fhir.read('Patient', '1'), { status: 503 });
    assert.equal(server.received.length, 3, 'a GET is');
  });

  it('a Retry-After longer than the client will wait is thrown at once, carrying the wait', async () => {
    server.answer = () => ({
      status: 429,
      headers: { 'retry-after': '120' },
      body: envelope('x', 'rate_limited', 'r4'),
    });
    const started = Date.now();
    const error = await client.getLaunchContext(LAUNCH).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof ChartsideApiError);
    assert.equal(error.retryAfter, 120);
    assert.equal(server.received.length, 1);
    assert.ok(Date.now() - started < 1000);
  });

  it('retries: 0 sends once', async () => {
    const once = new Chartside({ apiKey: 'k', baseUrl: server.url, retries: 0 });
    server.answer = () => ({ status: 429, headers: { 'retry-after': '0' } });
    await assert.rejects(once.getLaunchContext(LAUNCH), { status: 429 });
    assert.equal(server.received.length, 1);
  });
});

describe('retryDelayMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, retries: 3 };
  const error = (status: number, retryAfter: number | null = null, code = 'x') => ({
    status,
    code,
    retryAfter,
  });

  it('honours Retry-After in seconds, and backs off 0.5–1 × base × 2^attempt without it', () => {
    assert.equal(retryDelayMs('GET', error(429, 2), 0, policy), 2000);
    assert.equal(
      retryDelayMs('GET', error(503), 0, policy, () => 0),
      250,
    );
    assert.equal(
      retryDelayMs('GET', error(503), 0, policy, () => 1),
      500,
    );
    assert.equal(
      retryDelayMs('GET', error(503), 2, policy, () => 1),
      2000,
    );
  });

  it('stops after the allowed retries, on other statuses, and for unsafe repeats', () => {
    assert.equal(retryDelayMs('GET', error(429, 1), 3, policy), null);
    assert.equal(retryDelayMs('GET', error(500), 0, policy), null);
    assert.equal(retryDelayMs('PATCH', error(503), 0, policy), null);
    assert.equal(
      retryDelayMs('PATCH', error(503, null, 'database_unavailable'), 0, policy, () => 0),
      250,
    );
    assert.equal(
      retryDelayMs('DELETE', error(503), 0, policy, () => 0),
      250,
    );
  });
});
