/**
 * A local HTTP server for the client's unit tests: records every request (method, path, headers,
 * body) and answers with what the test scripts, so what goes over the wire can be asserted.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: unknown;
}

export interface FakeServer {
  readonly url: string;
  readonly received: Recorded[];
  /** The answer to the n-th request (0-based). */
  answer: (request: Recorded, n: number) => Answer;
  close(): Promise<void>;
}

export async function startFakeServer(
  answer: FakeServer['answer'] = () => ({ status: 204 }),
): Promise<FakeServer> {
  const received: Recorded[] = [];
  const fake: FakeServer = {
    url: '',
    received,
    answer,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: Recorded = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      received.push(recorded);
      const { status, headers = {}, body } = fake.answer(recorded, received.length - 1);
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const sent = Object.entries({ 'content-type': 'application/json', ...headers });
      response.writeHead(status, Object.fromEntries(sent.filter(([, value]) => value !== undefined)));
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** Chartside's API envelope, as the gateway renders it. */
export function envelope(type: string, code: string, requestId: string, message = 'Nope.') {
  return { error: { type, code, message, param: null, doc_url: null, request_id: requestId } };
}
