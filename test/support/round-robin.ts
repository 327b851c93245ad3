/**
 * A tiny reverse proxy that spreads requests over N upstreams in turn, per request (not per
 * connection), as a load balancer in front of several gateway processes does. Like a real one it
 * health-checks its upstreams (`GET /readyz`) and skips those that answer 503 or refuse
 * connections; a request refused by one upstream is retried on the next (nothing reached it).
 * It adds `X-Forwarded-For/Proto/Host`, and `X-Served-By: <upstream origin>` so tests can see
 * where each request landed.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinOptions {
  /** How often each upstream's `/readyz` is probed (ms). Default 100. */
  healthCheckMs?: number;
  /** Hold a request this long before forwarding it (a slow upstream); 0 = at once. */
  delayMs?: (request: IncomingMessage) => number;
  /** Probe `/readyz` at all (off for upstreams that have none, such as the sandbox). Default true. */
  healthChecks?: boolean;
}

export interface RoundRobin {
  readonly url: string;
  add(upstream: string): Promise<void>;
  remove(upstream: string): void;
  /** Requests answered per upstream origin since start. */
  readonly served: Map<string, number>;
  /** Requests that no upstream answered (the proxy sent 502). */
  readonly failed: number;
  /** Attempts that an upstream refused or reset, each retried on the next upstream. */
  readonly retried: number;
  /** Called as a request arrives, before any delay (tests wait for an in-flight request). */
  onReceive?: (request: IncomingMessage) => void;
  close(): Promise<void>;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
];
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export async function startRoundRobin(
  upstreams: string[] = [],
  options: RoundRobinOptions = {},
): Promise<RoundRobin> {
  const members: { origin: string; healthy: boolean }[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const served = new Map<string, number>();
  let next = 0;
  let failed = 0;
  let retried = 0;

  const probe = async (member: { origin: string; healthy: boolean }) => {
    if (options.healthChecks === false) return;
    member.healthy = await fetch(`${member.origin}/readyz`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
  };
  const healthTimer = setInterval(() => {
    for (const member of members) void probe(member);
  }, options.healthCheckMs ?? 100);

  /** Healthy upstreams in turn; when none is healthy, all of them (fail open, as LBs do). */
  const pick = (tried: Set<string>): string | undefined => {
    const healthy = members.filter((member) => member.healthy);
    const pool = (healthy.length > 0 ? healthy : members).filter((member) => !tried.has(member.origin));
    if (pool.length === 0) return undefined;
    const chosen = pool[next++ % pool.length];
    return chosen?.origin;
  };

  const forward = (
    incoming: IncomingMessage,
    body: Buffer,
    upstream: string,
  ): Promise<{ response: IncomingMessage } | { error: NodeJS.ErrnoException; retriable: boolean }> =>
    new Promise((resolve) => {
      const target = new URL(incoming.url ?? '/', upstream);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined && !HOP_BY_HOP.includes(name)) headers[name] = value;
      }
      const client = incoming.socket.remoteAddress ?? '127.0.0.1';
      headers['x-forwarded-for'] = incoming.headers['x-forwarded-for']
        ? `${incoming.headers['x-forwarded-for']}, ${client}`
        : client;
      headers['x-forwarded-proto'] = 'http';
      headers['x-forwarded-host'] = incoming.headers.host ?? '';
      headers['content-length'] = String(body.length);
      const outgoing = httpRequest(target, { method: incoming.method, headers, agent }, (response) =>
        resolve({ response }),
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        // Refused: the request never reached the upstream. Reset on a pooled connection the
        // upstream had just closed: retried for idempotent methods only, as nginx does.
        const retriable =
          error.code === 'ECONNREFUSED' ||
          ((error.code === 'ECONNRESET' || error.code === 'EPIPE') && IDEMPOTENT.has(incoming.method ?? ''));
        resolve({ error, retriable });
      });
      outgoing.end(body);
    });

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    proxy.onReceive?.(incoming);
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const delay = options.delayMs?.(incoming) ?? 0;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const tried = new Set<string>();
    for (;;) {
      const upstream = pick(tried);
      if (!upstream) break;
      tried.add(upstream);
      const result = await forward(incoming, body, upstream);
      if ('error' in result) {
        if (result.retriable) {
          retried++;
          continue;
        }
        break;
      }
      const { response } = result;
      served.set(upstream, (served.get(upstream) ?? 0) + 1);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !HOP_BY_HOP.includes(name)) headers[name] = value;
      }
      headers['x-served-by'] = upstream;
      outgoing.writeHead(response.statusCode ?? 502, headers);
      response.pipe(outgoing);
      return;
    }
    failed++;
    outgoing.writeHead(502, { 'content-type': 'application/json' }).end('{"error":"no_upstream_answered"}');
  };

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => outgoing.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const proxy: RoundRobin = {
    url: `http://127.0.0.1:${port}`,
    async add(upstream) {
      const member = { origin: new URL(upstream).origin, healthy: true };
      await probe(member);
      members.push(member);
    },
    remove(upstream) {
      const index = members.findIndex((member) => member.origin === new URL(upstream).origin);
      if (index !== -1) members.splice(index, 1);
    },
    served,
    get failed() {
      return failed;
    },
    get retried() {
      return retried;
    },
    async close() {
      clearInterval(healthTimer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
  for (const upstream of upstreams) await proxy.add(upstream);
  return proxy;
}
