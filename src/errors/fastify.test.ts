/**
 * Requests Node's HTTP parser refuses (found by the fuzz suite, test/fuzz/): answered in the
 * surface's own format with our request id, not Fastify's bare `{"error":"Bad Request"}`.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { handleClientError, installErrorHandling } from './fastify.ts';

function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

function parse(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('requests the HTTP parser refuses', () => {
  let app: FastifyInstance;
  let port: number;
  before(async () => {
    app = Fastify({ logger: false, clientErrorHandler: handleClientError });
    installErrorHandling(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(() => app.close());

  it('a control byte in an API path: 400 in the API envelope with a request id', async () => {
    const answer = parse(await exchange(port, 'GET /launch-contexts/a\u0000b HTTP/1.1\r\nhost: x\r\n\r\n'));
    assert.equal(answer.status, 400);
    assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
    const { error } = JSON.parse(answer.body);
    assert.equal(error.code, 'bad_request');
    assert.equal(error.request_id, answer.headers['x-request-id']);
    assert.match(error.request_id, /^[0-9a-f-]{36}$/);
  });

  it('on the launch path: the HTML error page, escaped', async () => {
    const answer = parse(
      await exchange(port, 'GET /api/auth/smart/launch/org?iss=<script>\u0001 HTTP/1.1\r\nhost: x\r\n\r\n'),
    );
    assert.equal(answer.status, 400);
    assert.match(answer.headers['content-type'] ?? '', /^text\/html/);
    assert.ok(answer.body.includes(`<dd>${answer.headers['x-request-id']}</dd>`));
    assert.ok(!answer.body.includes('<script>'));
  });

  it('on the FHIR proxy, absolute-form too: an OperationOutcome', async () => {
    const answer = parse(
      await exchange(port, 'GET http://127.0.0.1/fhir/x/Patient?\u00e9 HTTP/1.1\r\nhost: x\r\n\r\n'),
    );
    assert.equal(answer.status, 400);
    const outcome = JSON.parse(answer.body);
    assert.equal(outcome.resourceType, 'OperationOutcome');
    assert.equal(outcome.issue[0].diagnostics, `Chartside request id ${answer.headers['x-request-id']}`);
  });

  it('a method name in lower case, on the FHIR proxy: an OperationOutcome', async () => {
    const answer = parse(await exchange(port, 'get /fhir/x/Patient HTTP/1.1\r\nhost: x\r\n\r\n'));
    assert.equal(answer.status, 400);
    assert.equal(JSON.parse(answer.body).resourceType, 'OperationOutcome');
  });

  it('CONNECT, which Node would drop unanswered: 405 in the envelope', async () => {
    const answer = parse(await exchange(port, 'CONNECT /launch-contexts/x HTTP/1.1\r\nhost: x\r\n\r\n'));
    assert.equal(answer.status, 405);
    const { error } = JSON.parse(answer.body);
    assert.equal(error.code, 'method_not_allowed');
    assert.equal(error.request_id, answer.headers['x-request-id']);
  });

  it('a malformed HEAD request: the status and headers, no body', async () => {
    const raw = await exchange(
      port,
      'HEAD /launch-contexts/x HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n',
    );
    const answer = parse(raw);
    assert.equal(answer.status, 400);
    assert.ok(answer.headers['x-request-id']);
    assert.ok(raw.endsWith('\r\n\r\n'), 'no body after the headers');
  });

  it('headers over the size limit: 431 headers_too_large', async () => {
    const answer = parse(
      await exchange(
        port,
        `GET /launch-contexts/x HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ),
    );
    assert.equal(answer.status, 431);
    assert.equal(JSON.parse(answer.body).error.code, 'headers_too_large');
  });
});
