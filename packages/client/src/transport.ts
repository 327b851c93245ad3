/**
 * One call to Chartside: the API key, the pinned API version, a timeout, retries (retry.ts), and
 * a typed error for anything but a 2xx. The API key only ever goes to the configured gateway: a
 * URL elsewhere (a Bundle link that was not rewritten, say) is refused before anything is sent.
 */
import { ChartsideApiError, ChartsideConnectionError, errorFromResponse } from './errors.ts';
import { type HttpMethod, type RetryPolicy, retryDelayMs } from './retry.ts';

/** The API version this client was written against (README "App API"). */
export const API_VERSION = '2026-11-29';

export interface TransportOptions {
  readonly apiKey: string;
  readonly baseUrl: URL;
  readonly fetch: typeof fetch;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface CallInit {
  readonly method: HttpMethod;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export class Transport {
  constructor(private readonly options: TransportOptions) {}

  /** `path` relative to the gateway's base URL (`launch-contexts/…`, `fhir/…`). */
  url(path: string): URL {
    return new URL(path, this.options.baseUrl);
  }

  /** Whether `url` is on the gateway (same origin, under its base path). */
  isGatewayUrl(url: URL): boolean {
    const base = this.options.baseUrl;
    return url.origin === base.origin && url.pathname.startsWith(base.pathname);
  }

  /** Send, retrying a 429 or 503 as retry.ts allows; resolves with a 2xx answer, else throws. */
  async call(url: URL, init: CallInit): Promise<Response> {
    if (!this.isGatewayUrl(url)) {
      throw new TypeError(`Refusing to send the API key to ${url.origin}: not the Chartside gateway.`);
    }
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(url, init);
      if (response.status >= 200 && response.status < 300) return response;
      const error = await errorFromResponse(response);
      const delay = retryDelayMs(init.method, error, attempt, this.options.retry);
      if (delay === null) throw error;
      await this.options.sleep(delay);
    }
  }

  private async send(url: URL, init: CallInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.options.apiKey}`);
    headers.set('version', API_VERSION);
    if (!headers.has('accept')) headers.set('accept', 'application/json');
    try {
      return await this.options.fetch(url, {
        method: init.method,
        headers,
        ...(init.body === undefined ? {} : { body: init.body }),
        // Chartside never redirects an API call; a redirect is an error, not a place to send the key.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const reason = timedOut ? `no answer within ${this.options.timeoutMs} ms` : 'the connection failed';
      throw new ChartsideConnectionError(`${init.method} ${url.pathname}: ${reason}.`, timedOut, {
        cause: error,
      });
    }
  }
}

/** A 2xx body as JSON; an empty body is null. */
export async function jsonOf<T>(response: Response): Promise<T | null> {
  const text = await response.text();
  if (text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ChartsideApiError({
      status: response.status,
      code: 'unexpected_response',
      type: null,
      message: 'The answer is not JSON.',
      param: null,
      requestId: response.headers.get('x-request-id'),
      docUrl: null,
      retryAfter: null,
      outcome: null,
    });
  }
}
