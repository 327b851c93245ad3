/**
 * Rewrites absolute URLs under the EHR's FHIR base to the proxy's base for this launch, in a
 * streamed body and in headers, so that an app following a Bundle's `next` link, an entry's
 * `fullUrl` or a `Location` stays inside Chartside (it holds no EHR token to go anywhere else).
 *
 * The body is rewritten as bytes, chunk by chunk, without parsing: every occurrence of the base
 * that ends at a URL boundary (`/`, `?`, `#`, `"`, or a JSON escape) is replaced, wherever it
 * appears (Bundle links, fullUrl, absolute references, attachment URLs). Any such URL is only
 * usable through the proxy, so all of them are rewritten. The JSON-escaped spelling
 * (`https:\/\/…`) is rewritten too. `https://ehr/r4/tenant2` does not match a base of
 * `https://ehr/r4/tenant`.
 */
import { Transform, type TransformCallback } from 'node:stream';

const BOUNDARY = new Set(['/', '?', '#', '"', '\\'].map((c) => c.charCodeAt(0)));

interface Replacement {
  readonly from: Buffer;
  readonly to: Buffer;
}

export interface BaseUrls {
  /** The EHR's FHIR base (the launch's `iss`), without a trailing slash. */
  readonly ehrBase: string;
  /** `<PUBLIC_URL>/fhir/<launch id>`. */
  readonly proxyBase: string;
}

function replacements({ ehrBase, proxyBase }: BaseUrls): Replacement[] {
  const jsonEscaped = (url: string) => url.replaceAll('/', '\\/');
  const pairs: Replacement[] = [{ from: Buffer.from(ehrBase), to: Buffer.from(proxyBase) }];
  if (ehrBase.includes('/'))
    pairs.push({ from: Buffer.from(jsonEscaped(ehrBase)), to: Buffer.from(jsonEscaped(proxyBase)) });
  return pairs;
}

/** Rewrite one header value (Location, Content-Location, Link). */
export function rewriteUrlText(text: string, bases: BaseUrls): string {
  let out = '';
  let position = 0;
  for (;;) {
    const index = text.indexOf(bases.ehrBase, position);
    if (index === -1) break;
    const end = index + bases.ehrBase.length;
    const next = text.charCodeAt(end);
    // End of the header value, or `>` closing a Link target, also ends a URL.
    const boundary = end === text.length || BOUNDARY.has(next) || text[end] === '>';
    out += text.slice(position, index) + (boundary ? bases.proxyBase : bases.ehrBase);
    position = end;
  }
  return out + text.slice(position);
}

/**
 * Rewrite what can be decided in `data`: returns the bytes to emit and the tail to keep until
 * more arrives (a possible partial match). With `final`, everything is decided.
 */
function rewriteBytes(data: Buffer, pairs: readonly Replacement[], holdBack: number, final: boolean) {
  const parts: Buffer[] = [];
  let position = 0;
  let stopAt = final ? data.length : Math.max(0, data.length - holdBack);
  for (;;) {
    const match = nextMatch(data, position, pairs);
    if (!match) break;
    const end = match.index + match.pair.from.length;
    if (end >= data.length && !final) {
      // The byte after the needle has not arrived: decide when it does.
      stopAt = Math.min(stopAt, match.index);
      break;
    }
    const boundary = end >= data.length || BOUNDARY.has(data[end] as number);
    parts.push(data.subarray(position, match.index), boundary ? match.pair.to : match.pair.from);
    position = end;
  }
  const emitUntil = Math.max(position, stopAt);
  parts.push(data.subarray(position, emitUntil));
  const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  return { out, rest: data.subarray(emitUntil) };
}

function nextMatch(data: Buffer, from: number, pairs: readonly Replacement[]) {
  let best: { index: number; pair: Replacement } | null = null;
  for (const pair of pairs) {
    const index = data.indexOf(pair.from, from);
    if (index !== -1 && (best === null || index < best.index)) best = { index, pair };
  }
  return best;
}

/** Rewrite a whole body at once (small answers are relayed in one piece). */
export function rewriteBody(body: Buffer, bases: BaseUrls): Buffer {
  return rewriteBytes(body, replacements(bases), 0, true).out;
}

/** A Transform that rewrites the base in a byte stream, holding back only a possible partial match. */
export class BaseUrlRewriter extends Transform {
  private readonly pairs: Replacement[];
  /** A match can straddle chunks: keep this many trailing bytes until more arrive. */
  private readonly holdBack: number;
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes emitted so far. */
  bytesOut = 0;

  constructor(bases: BaseUrls) {
    super();
    this.pairs = replacements(bases);
    this.holdBack = Math.max(...this.pairs.map((pair) => pair.from.length));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.emitRewritten(this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]), false);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.emitRewritten(this.pending, true);
    done();
  }

  private emitRewritten(data: Buffer, final: boolean): void {
    const { out, rest } = rewriteBytes(data, this.pairs, this.holdBack, final);
    this.pending = rest;
    this.bytesOut += out.length;
    if (out.length > 0) this.push(out);
  }
}
