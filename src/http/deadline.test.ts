import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ExchangeDeadline } from './deadline.ts';
import { createOutboundHttp, OutboundError } from './outbound.ts';

/** A server that answers at once, never, or with headers and then a body that stalls. */
function startServer(): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/quick') response.end('{"ok":true}');
    else if (request.url === '/stall-body') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"partial":');
    }
    // /hang: no answer at all
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('the outbound deadline (stream)', () => {
  let server: Server;
  let origin: string;
  const http = createOutboundHttp({ timeoutMs: 150 });
  before(async () => {
    server = await startServer();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers within the deadline and lets go of its timer once the body is read', async () => {
    const response = await http.stream(new URL(`${origin}/quick`), { method: 'GET', headers: {} });
    assert.equal(response.status, 200);
    assert.equal((await response.bytes()).toString(), '{"ok":true}');
  });

  it('cuts an exchange whose headers never come, as a timeout', async () => {
    const began = performance.now();
    await assert.rejects(
      http.stream(new URL(`${origin}/hang`), { method: 'GET', headers: {} }),
      (error: unknown) => error instanceof OutboundError && error.kind === 'timeout',
    );
    const took = performance.now() - began;
    assert.ok(took >= 140 && took < 2_000, `cut after ${took.toFixed(0)} ms`);
  });

  it('cuts a body that stalls after the headers, as a timeout (one deadline, body included)', async () => {
    const response = await http.stream(new URL(`${origin}/stall-body`), {
      method: 'GET',
      headers: {},
      timeoutMs: 200,
    });
    assert.equal(response.status, 200);
    await assert.rejects(
      response.bytes(),
      (error: unknown) => error instanceof OutboundError && error.kind === 'timeout',
    );
  });
});

describe('ExchangeDeadline', () => {
  it('aborts with a TimeoutError reason when its time is up, and tells its listeners once', async () => {
    const deadline = new ExchangeDeadline(20);
    const heard: unknown[] = [];
    deadline.once('abort', (reason) => heard.push(reason));
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(deadline.aborted, true);
    assert.equal(deadline.reason?.name, 'TimeoutError');
    assert.equal(heard.length, 1);
  });

  it('never fires once the exchange let go of it (removeListener) or ended', async () => {
    const released = new ExchangeDeadline(20);
    const listener = () => assert.fail('a released deadline fired');
    released.once('abort', listener);
    released.removeListener('abort', listener);
    const ended = new ExchangeDeadline(20);
    ended.end();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(released.aborted, false);
    assert.equal(ended.aborted, false);
  });
});
