/**
 * Relaying the EHR's answer to the app: status, a chosen set of headers (URLs rewritten), and the
 * body streamed through a size meter and, for JSON, the base-URL rewriter.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';
import type { OutboundStreamResponse } from '../http/outbound.ts';
import { BaseUrlRewriter, type BaseUrls, rewriteBody, rewriteUrlText } from './url-rewriter.ts';

/** EHR response headers an app needs; the rest (cookies, CORS, the EHR's auth challenge) stay behind. */
const RELAYED_HEADERS = [
  'content-type',
  'etag',
  'last-modified',
  'preference-applied',
  'retry-after',
  'content-language',
] as const;
const URL_HEADERS = ['location', 'content-location', 'link'] as const;
const JSON_BODY = /^application\/(?:fhir\+json|json\+fhir|json|[\w.+-]+\+json)\b/i;

export interface RelayResult {
  /** Bytes sent to the app so far (final once the response has finished). */
  bytes(): number;
  /** Whether the body was cut off (too large, or the EHR connection failed mid-way). */
  truncated(): boolean;
}

/** Counts the bytes that pass and fails the stream once they exceed `maxBytes`. */
class ByteMeter extends Transform {
  bytes = 0;
  constructor(private readonly maxBytes: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new Error(`the EHR response exceeds ${this.maxBytes} bytes`));
      return;
    }
    done(null, chunk);
  }
}

/** Answers up to this size (declared by Content-Length) are read whole and sent in one write. */
const WHOLE_BODY_BYTES = 256 * 1024;

/**
 * Sends the EHR's response on `reply`. Throws (`fhir_response_too_large`, `fhir_error`) only
 * before anything was sent. A small answer with a declared length is read whole and sent in one
 * piece; anything else is streamed, and cut off if it outgrows `maxBytes`.
 */
export async function relayResponse(
  upstream: OutboundStreamResponse,
  reply: FastifyReply,
  options: { bases: BaseUrls; maxBytes: number; method: string },
): Promise<RelayResult> {
  const declared = Number(upstream.header('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) {
    void upstream.discard();
    throw new ChartsideError('fhir_response_too_large');
  }
  const json = JSON_BODY.test(upstream.header('content-type') ?? '');
  const empty = options.method === 'HEAD' || upstream.status === 204 || upstream.status === 304;
  let whole: Buffer | null = null;
  if (!empty && declared <= WHOLE_BODY_BYTES) {
    try {
      whole = await upstream.bytes();
    } catch (error) {
      throw new ChartsideError('fhir_error', { message: 'The EHR’s FHIR answer broke off.', cause: error });
    }
    if (json) whole = rewriteBody(whole, options.bases);
  }

  reply.code(upstream.status);
  for (const name of RELAYED_HEADERS) {
    const value = upstream.header(name);
    if (value !== null) reply.header(name, value);
  }
  for (const name of URL_HEADERS) {
    const value = upstream.header(name);
    if (value !== null) reply.header(name, rewriteUrlText(value, options.bases));
  }
  // Keep the EHR's own request id for support cases; X-Request-Id stays ours.
  const ehrRequestId = upstream.header('x-request-id') ?? upstream.header('opc-request-id');
  if (ehrRequestId) reply.header('x-ehr-request-id', ehrRequestId.slice(0, 200));
  // Clinical data: no shared or private caching of proxied answers.
  reply.header('cache-control', 'no-store');

  if (empty) {
    void upstream.discard();
    reply.send();
    return { bytes: () => 0, truncated: () => false };
  }
  if (whole) {
    reply.send(whole);
    const size = whole.length;
    return { bytes: () => size, truncated: () => false };
  }
  let cut = false;
  const meter = new ByteMeter(options.maxBytes);
  const source = upstream.body;
  const onDone = (error: Error | null) => {
    if (error) cut = true;
  };
  // A rewritten body changes length, so Content-Length is not relayed and Node sends it chunked.
  const rewriter = json ? new BaseUrlRewriter(options.bases) : null;
  reply.send(rewriter ? pipeline(source, meter, rewriter, onDone) : pipeline(source, meter, onDone));
  return { bytes: () => rewriter?.bytesOut ?? meter.bytes, truncated: () => cut };
}
