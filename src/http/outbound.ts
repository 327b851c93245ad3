/**
 * The one outbound HTTP wrapper. Every call to an EHR (discovery, JWKS, token endpoint, FHIR)
 * goes through {@link OutboundHttp.fetch}: it sets a timeout, never follows redirects silently,
 * refuses URLs the caller's policy forbids, and caps how much of a body we read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, request as undiciRequest } from 'undici';
import { ChartsideError } from '../errors/catalogue.ts';
import { type AddressRanges, NO_ADDRESS_RANGES } from './address-ranges.ts';
import { ExchangeDeadline } from './deadline.ts';
import {
  assertAllowedUrl,
  checkedLookup,
  isAllowedAddress,
  notPublic,
  type ResolveHost,
  type UrlPolicy,
} from './url-policy.ts';

export interface OutboundHttp {
  /**
   * WHATWG fetch, for the OAuth library and small JSON documents (discovery, JWKS, tokens).
   * With a `policy`, the URL is checked (and, for `publicAddressesOnly`, its host resolved and
   * checked against the public ranges and the policy's allowed ones) before any connection is made.
   */
  fetch(
    url: string | URL,
    init?: RequestInit & { timeoutMs?: number; policy?: UrlPolicy },
  ): Promise<Response>;
  /**
   * A leaner call for the FHIR proxy's hot path: Node streams instead of WHATWG ones and a
   * keep-alive pool (about a third of fetch's CPU per request). Same rules: timeout over the
   * whole exchange, body included; redirects are errors; a fixed user agent.
   */
  stream(url: URL, init: OutboundStreamInit): Promise<OutboundStreamResponse>;
  readonly timeoutMs: number;
  close(): Promise<void>;
}

export interface OutboundStreamInit {
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs?: number;
  /** As for `fetch`; with `publicAddressesOnly` the connection goes to the checked address. */
  policy?: UrlPolicy;
}

export interface OutboundStreamResponse {
  readonly status: number;
  /** A response header (lower-case name), repeated values joined with `, `; null when absent. */
  header(name: string): string | null;
  /** The body as a Node stream; errors (timeout, connection lost) surface on it. */
  readonly body: Readable;
  /** Read the whole body. */
  bytes(): Promise<Buffer>;
  /** Discard the body (frees the connection). */
  discard(): Promise<void>;
}

const USER_AGENT = 'Chartside/0.1 (+https://github.com/chartside/chartside)';

export class OutboundError extends Error {
  override readonly name = 'OutboundError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'redirect' | 'too_large' | 'bad_json',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createOutboundHttp(options: {
  timeoutMs: number;
  fetchImpl?: typeof fetch;
  resolveHost?: ResolveHost;
}): OutboundHttp {
  const fetchImpl = options.fetchImpl ?? fetch;
  const resolveHost: ResolveHost =
    options.resolveHost ??
    ((hostname) =>
      new Promise((resolve, reject) =>
        dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
          error ? reject(error) : resolve(addresses),
        ),
      ));
  const pool = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  // Production sources' traffic: the socket connects to the address this lookup checked, so a DNS
  // answer cannot change between the check and the connection (no rebinding window). One pool
  // per allow list, because the lookup is the pool's; a process has one (the config's).
  const checkedPools = new Map<AddressRanges, Agent>();
  const checkedPool = (allowed: AddressRanges): Agent => {
    let agent = checkedPools.get(allowed);
    if (!agent) {
      agent = new Agent({
        keepAliveTimeout: 10_000,
        connections: 64,
        connect: { lookup: checkedLookup(resolveHost, allowed) },
      });
      checkedPools.set(allowed, agent);
    }
    return agent;
  };
  return {
    timeoutMs: options.timeoutMs,
    close: async () => {
      await Promise.all([pool.close(), ...[...checkedPools.values()].map((agent) => agent.close())]);
    },
    async stream(url, init) {
      const timeoutMs = init.timeoutMs ?? options.timeoutMs;
      if (init.policy) assertAllowedUrl(url.href, init.policy, 'FHIR server');
      let response: Awaited<ReturnType<typeof undiciRequest>>;
      // One deadline for the whole exchange, body included (deadline.ts).
      const deadline = new ExchangeDeadline(timeoutMs);
      try {
        response = await undiciRequest(url, {
          dispatcher: init.policy?.publicAddressesOnly
            ? checkedPool(init.policy.allowedPrivateRanges ?? NO_ADDRESS_RANGES)
            : pool,
          method: init.method as 'GET',
          headers: { 'user-agent': USER_AGENT, ...init.headers },
          body: init.body ?? null,
          signal: deadline,
        });
      } catch (error) {
        deadline.end();
        if ((error as { cause?: unknown }).cause instanceof ChartsideError) throw (error as Error).cause;
        if (error instanceof ChartsideError) throw error;
        throw outboundFailure(error, url, timeoutMs);
      }
      const header = (name: string) => {
        const value = response.headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      };
      if (response.statusCode >= 300 && response.statusCode < 400 && header('location') !== null) {
        await response.body.dump().catch(() => {});
        throw new OutboundError(`${originOf(url)} answered with a redirect`, 'redirect');
      }
      return {
        status: response.statusCode,
        header,
        body: response.body,
        bytes: async () => {
          try {
            return Buffer.from(await response.body.arrayBuffer());
          } catch (error) {
            throw outboundFailure(error, url, timeoutMs);
          }
        },
        discard: () => response.body.dump().catch(() => {}),
      };
    },
    async fetch(url, init = {}) {
      const { timeoutMs = options.timeoutMs, policy, ...rest } = init;
      if (policy) await assertPublicDestination(String(url), policy, resolveHost);
      const headers = new Headers(rest.headers);
      if (!headers.has('user-agent')) headers.set('user-agent', USER_AGENT);
      const signal = rest.signal
        ? AbortSignal.any([rest.signal, AbortSignal.timeout(timeoutMs)])
        : AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetchImpl(url, { ...rest, headers, redirect: 'manual', signal });
      } catch (error) {
        const name = (error as Error | undefined)?.name;
        if (name === 'TimeoutError' || name === 'AbortError') {
          throw new OutboundError(`no answer from ${originOf(url)} within ${timeoutMs} ms`, 'timeout', {
            cause: error,
          });
        }
        throw new OutboundError(`could not reach ${originOf(url)}`, 'network', { cause: error });
      }
      if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
        // An EHR endpoint that redirects is treated as a failure: following it silently could
        // send credentials somewhere nobody configured.
        await response.body?.cancel();
        throw new OutboundError(`${originOf(url)} answered with a redirect`, 'redirect');
      }
      return response;
    },
  };
}

function outboundFailure(error: unknown, url: string | URL, timeoutMs: number): OutboundError {
  const name = (error as Error | undefined)?.name;
  const code = (error as { code?: string } | undefined)?.code;
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new OutboundError(`no answer from ${originOf(url)} within ${timeoutMs} ms`, 'timeout', {
      cause: error,
    });
  }
  return new OutboundError(`could not reach ${originOf(url)}`, 'network', { cause: error });
}

/** Read a JSON body, refusing more than `maxBytes`. */
export async function readJsonBody(response: Response, maxBytes = 1_000_000): Promise<unknown> {
  const text = await readTextBody(response, maxBytes);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OutboundError('the response body is not valid JSON', 'bad_json', { cause: error });
  }
}

export async function readTextBody(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new OutboundError('the response body is too large', 'too_large');
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new OutboundError('the response body is too large', 'too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The SSRF guard for `fetch`: {@link assertAllowedUrl}, then, for `publicAddressesOnly`, resolve
 * the host and refuse it when any address it resolves to is neither public nor in the policy's
 * allowed private ranges.
 *
 * DNS-rebinding trade-off: fetch resolves the name again when it connects, so a hostile DNS
 * server answering "public" now and "private" a moment later could slip past this check. The
 * FHIR proxy's streamed calls close that gap (their socket connects to the checked address, see
 * `checkedLookup`); `fetch` only carries discovery, JWKS and token requests to endpoints that
 * were themselves accepted from a registered production source, and WHATWG fetch offers no
 * connect hook without swapping the Response class the OAuth library checks.
 */
async function assertPublicDestination(value: string, policy: UrlPolicy, resolveHost: ResolveHost) {
  const url = assertAllowedUrl(value, policy, 'endpoint');
  if (!policy.publicAddressesOnly) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return; // a literal: already judged by assertAllowedUrl
  let addresses: LookupAddress[];
  try {
    addresses = await resolveHost(host);
  } catch (error) {
    throw new OutboundError(`could not resolve ${url.origin}`, 'network', { cause: error });
  }
  if (addresses.length === 0 || addresses.some(({ address }) => !isAllowedAddress(address, policy))) {
    throw notPublic('endpoint');
  }
}

function originOf(url: string | URL): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the EHR';
  }
}
