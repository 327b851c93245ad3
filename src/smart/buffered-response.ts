/**
 * A WHATWG `Response` over a body already read into memory, for oauth4webapi (which requires a
 * `Response`) on every launch's code exchange.
 *
 * `new Response(bytes)` wraps the bytes in a ReadableStream (made transferable, with its queue and
 * reader) only for `json()` to read them back: about 25 µs per launch in Node 20, where this
 * subclass answers `text()`/`json()` from the buffer in about 4 µs. It is still a `Response`
 * (status, headers, `instanceof`), and its body can be read once, as a real one's: `bodyUsed`,
 * `clone()`. `body` (the stream) is null; nothing on the code exchange's path reads it.
 */

/**
 * `Response` as a plain base class: Node's typings declare `text`, `json`, … as properties, which
 * a subclass may not redefine as methods, though at run time they are methods on the prototype.
 */
const ResponseBase = Response as unknown as new (
  body: null,
  init: { status: number; headers: Headers },
) => { readonly status: number; readonly headers: Headers };

class BufferedResponse extends ResponseBase {
  readonly #bytes: Buffer;
  #used = false;

  constructor(bytes: Buffer, init: { status: number; headers: Headers }) {
    super(null, init);
    this.#bytes = bytes;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async text(): Promise<string> {
    return this.#take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  clone(): Response {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return bufferedResponse(this.#bytes, { status: this.status, headers: new Headers(this.headers) });
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#bytes;
  }
}

export function bufferedResponse(bytes: Buffer, init: { status: number; headers: Headers }): Response {
  return new BufferedResponse(bytes, init) as unknown as Response;
}
