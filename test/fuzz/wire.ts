/**
 * Two ways to reach the gateway with one answer shape: `app.inject()` (cheap, for well-formed
 * requests) and a raw `node:net` socket, for what no HTTP client will send: raw bytes in the
 * request line, odd percent-encoding, duplicate and very long headers.
 */
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { OutboundHttp } from '../../src/http/outbound.ts';

export interface Answer {
  readonly via: 'inject' | 'socket';
  readonly status: number;
  /** A header (lower-case name), repeated values joined with `, `; null when absent. */
  header(name: string): string | null;
  readonly body: string;
}

function answerOf(
  via: Answer['via'],
  status: number,
  headers: Record<string, unknown>,
  body: string,
): Answer {
  return {
    via,
    status,
    body,
    header(name) {
      const value = headers[name];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : String(value);
    },
  };
}

export interface FuzzRequest {
  method: string;
  /** Path and query exactly as they go on the request line. */
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export async function inject(app: FastifyInstance, request: FuzzRequest): Promise<Answer> {
  const response = await app.inject({
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { payload: request.body }),
  });
  return answerOf('inject', response.statusCode, response.headers, response.body);
}

export interface RawRequest {
  method: string;
  /** The request target, byte for byte (anything, including spaces and control characters). */
  target: string;
  /** In order; a name may repeat. */
  headers: [string, string][];
  body?: Buffer;
}

/** Send a request as raw bytes on a fresh connection and read the answer until the server closes. */
export function sendRaw(origin: string, request: RawRequest): Promise<Answer> {
  const { hostname, port } = new URL(origin);
  const body = request.body ?? Buffer.alloc(0);
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(body.length > 0 ? [`content-length: ${body.length}`] : []),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer to ${request.target.slice(0, 80)}`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may reset the connection after answering a request it refused mid-body.
      if (error.code === 'ECONNRESET' && chunks.length > 0) return;
      reject(error);
    });
    socket.on('close', () => {
      try {
        resolve(parseAnswer(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), body]));
  });
}

function parseAnswer(bytes: Buffer): Answer {
  // Interim answers (`100 Continue` to `Expect: 100-continue`) come first; the answer follows.
  while (/^HTTP\/1\.[01] 1\d\d /.test(bytes.subarray(0, 16).toString('latin1'))) {
    const interimEnd = bytes.indexOf('\r\n\r\n');
    if (interimEnd === -1) break;
    bytes = bytes.subarray(interimEnd + 4);
  }
  const end = bytes.indexOf('\r\n\r\n');
  if (end === -1) return answerOf('socket', 0, {}, bytes.toString('utf8'));
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] = [...(headers[name] ?? []), line.slice(colon + 1).trim()];
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding']?.join(',').includes('chunked')) body = dechunk(body);
  return answerOf('socket', status, headers, body.toString('utf8'));
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Record every URL the gateway calls out to, by wrapping the one outbound wrapper it holds
 * (`services.http`, read at call time by the handlers). Test instrumentation only.
 */
export function recordOutbound(app: FastifyInstance): string[] {
  const seen: string[] = [];
  const services = app.services as { http: OutboundHttp };
  const real = services.http;
  services.http = {
    timeoutMs: real.timeoutMs,
    close: () => real.close(),
    fetch(url, init) {
      seen.push(String(url));
      return real.fetch(url, init);
    },
    stream(url, init) {
      seen.push(url.href);
      return real.stream(url, init);
    },
  };
  return seen;
}
