/**
 * A fault-injecting HTTP front: a small reverse proxy in front of the local sandbox that, per
 * endpoint kind (SMART discovery, JWKS, token, FHIR) and at configured rates, answers 500/502/503,
 * hangs past the gateway's timeout, answers slowly, cuts the connection mid-body, or sends
 * malformed or oversized JSON. Everything else (authorize, the launcher, `/_test/*`) passes
 * through untouched. The sandbox is started with the front's origin as its public origin, so
 * every URL it advertises leads back through here.
 *
 * Faults are drawn from a seeded generator, one draw per request in arrival order, and counted.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const ENDPOINT_KINDS = ['discovery', 'jwks', 'token', 'fhir'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export const FAULT_KINDS = [
  'http_500',
  'http_502',
  'http_503',
  'hang',
  'slow',
  'reset_mid_body',
  'malformed_json',
  'oversized_json',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Probability of each fault per request, per endpoint kind (the rest pass through). */
export type FaultRates = Partial<Record<EndpointKind, Partial<Record<FaultKind, number>>>>;

export interface FaultFrontOptions {
  seed: number;
  /** How long a "hang" holds the request before dropping it (longer than the gateway's timeout). */
  hangMs: number;
  /** The delay of a "slow" answer (shorter than the gateway's timeout). */
  slowMs: number;
  /** Size of the "oversized" JSON body. */
  oversizedBytes: number;
}

export interface FaultFront {
  /** `http://127.0.0.1:<port>`: the sandbox's public origin. */
  readonly origin: string;
  setUpstream(origin: string): void;
  setRates(rates: FaultRates): void;
  /** Faults injected so far, as `<endpoint kind>.<fault kind>` → count. */
  injected(): Record<string, number>;
  /** Requests seen per endpoint kind (faulted or not). */
  seen(): Record<string, number>;
  close(): Promise<void>;
}

/** A marker in every body the front makes up, so a relayed answer can be told from our own. */
export const FRONT_MARKER = 'chartside-fault-front';
export const MALFORMED_BODY = `{"resourceType":"OperationOutcome","${FRONT_MARKER}":`;

export function endpointKindOf(path: string): EndpointKind | null {
  const pathname = path.split('?')[0] ?? '';
  // SMART v1 discovery falls back to the CapabilityStatement: part of discovery too.
  if (pathname.endsWith('/.well-known/smart-configuration') || pathname.endsWith('/metadata')) {
    return 'discovery';
  }
  if (pathname === '/jwk') return 'jwks';
  if (/\/protocols\/oauth2\/profiles\/[^/]+\/token$/.test(pathname)) return 'token';
  if (pathname.startsWith('/r4/')) return 'fhir';
  return null;
}

/** mulberry32: small, fast and good enough to spread faults; the same seed gives the same draws. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function startFaultFront(options: FaultFrontOptions): Promise<FaultFront> {
  const random = seededRandom(options.seed);
  let upstream: URL | null = null;
  let rates: FaultRates = {};
  const injected: Record<string, number> = {};
  const seen: Record<string, number> = {};
  const held = new Set<Socket>();
  const oversized = Buffer.from(
    JSON.stringify({ resourceType: 'Bundle', [FRONT_MARKER]: 'x'.repeat(options.oversizedBytes) }),
  );

  const draw = (kind: EndpointKind): FaultKind | null => {
    const value = random();
    let threshold = 0;
    for (const fault of FAULT_KINDS) {
      threshold += rates[kind]?.[fault] ?? 0;
      if (value < threshold) return fault;
    }
    return null;
  };

  const server = createServer((req, res) => {
    const kind = endpointKindOf(req.url ?? '/');
    const fault = kind ? draw(kind) : null;
    if (kind) seen[kind] = (seen[kind] ?? 0) + 1;
    if (kind && fault) {
      const key = `${kind}.${fault}`;
      injected[key] = (injected[key] ?? 0) + 1;
    }
    void answer(req, res, fault).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 5000;

  async function answer(req: IncomingMessage, res: ServerResponse, fault: FaultKind | null): Promise<void> {
    const contentType = (req.url ?? '').startsWith('/r4/') ? 'application/fhir+json' : 'application/json';
    switch (fault) {
      case 'http_500':
      case 'http_502':
      case 'http_503': {
        req.resume();
        const body = JSON.stringify({
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'exception', diagnostics: `${FRONT_MARKER} ${fault}` }],
        });
        res.writeHead(Number(fault.slice(5)), { 'content-type': contentType });
        res.end(body);
        return;
      }
      case 'hang': {
        req.resume();
        const socket = req.socket;
        held.add(socket);
        const timer = setTimeout(() => socket.destroy(), options.hangMs);
        socket.once('close', () => {
          clearTimeout(timer);
          held.delete(socket);
        });
        return;
      }
      case 'malformed_json':
        req.resume();
        res.writeHead(200, { 'content-type': contentType });
        res.end(MALFORMED_BODY);
        return;
      case 'oversized_json':
        req.resume();
        res.writeHead(200, { 'content-type': contentType, 'content-length': oversized.length });
        res.end(oversized);
        return;
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, options.slowMs));
        await forward(req, res, false);
        return;
      case 'reset_mid_body':
        await forward(req, res, true);
        return;
      default:
        await forward(req, res, false);
    }
  }

  /** Pass the request on; with `cut`, send the headers and half the body, then drop the connection. */
  async function forward(req: IncomingMessage, res: ServerResponse, cut: boolean): Promise<void> {
    if (!upstream) throw new Error('no upstream');
    const target = upstream;
    const upstreamResponse = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        resolve,
      );
      outgoing.on('error', reject);
      req.pipe(outgoing);
    });
    if (!cut) {
      res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of upstreamResponse) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { 'transfer-encoding': _chunked, ...headers } = upstreamResponse.headers;
    res.writeHead(upstreamResponse.statusCode ?? 200, { ...headers, 'content-length': body.length + 1 });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    setUpstream(origin) {
      upstream = new URL(origin);
    },
    setRates(next) {
      rates = next;
    },
    injected: () => ({ ...injected }),
    seen: () => ({ ...seen }),
    async close() {
      for (const socket of held) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
