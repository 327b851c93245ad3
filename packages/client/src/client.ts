/**
 * The Chartside client for an app's backend: resolve `mb_launch`, end a launch, read and write
 * FHIR through the gateway. Server side only: it holds an API key.
 */
import { FhirClient } from './fhir.ts';
import type { LaunchContext } from './launch-context.ts';
import { DEFAULT_RETRY_POLICY } from './retry.ts';
import { jsonOf, Transport } from './transport.ts';

export interface ChartsideOptions {
  /** `cs_test_…` (sandbox launches) or `cs_live_…` (production launches). */
  readonly apiKey: string;
  /** The gateway's public URL, e.g. `https://chartside.example.org`. */
  readonly baseUrl: string | URL;
  /** A fetch implementation (default: Node's global fetch). */
  readonly fetch?: typeof fetch;
  /** Retries of a 429 or 503 after the first attempt (default 2; 0 turns retrying off). */
  readonly retries?: number;
  /** The first backoff between retries, doubled each time (default 500 ms), when no `Retry-After` says. */
  readonly retryBaseDelayMs?: number;
  /** The longest wait between retries (default 30 s): a longer `Retry-After` is thrown, not waited for. */
  readonly maxRetryDelayMs?: number;
  /** Per attempt, answer included (default 30 s). */
  readonly timeoutMs?: number;
}

export class Chartside {
  private readonly transport: Transport;

  constructor(options: ChartsideOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required.');
    const baseUrl = new URL(String(options.baseUrl));
    // Relative paths resolve under the base only when it ends with a slash.
    if (!baseUrl.pathname.endsWith('/')) baseUrl.pathname = `${baseUrl.pathname}/`;
    baseUrl.search = '';
    baseUrl.hash = '';
    const retries = options.retries ?? DEFAULT_RETRY_POLICY.retries;
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError('retries must be a whole number ≥ 0.');
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl,
      fetch: options.fetch ?? globalThis.fetch,
      retry: {
        retries,
        baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
        maxDelayMs: options.maxRetryDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      },
      timeoutMs: options.timeoutMs ?? 30_000,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  }

  /** `GET /launch-contexts/:id`: what `mb_launch` stands for (patient, encounter, user, scopes…). */
  async getLaunchContext(id: string): Promise<LaunchContext> {
    const response = await this.transport.call(this.launchUrl(id), { method: 'GET' });
    return (await jsonOf<LaunchContext>(response)) as LaunchContext;
  }

  /**
   * `DELETE /launch-contexts/:id`: end the launch. Chartside revokes its EHR tokens where the EHR
   * allows it and deletes them; answers the context, now `ended`. Calling it again is harmless.
   */
  async endLaunch(id: string): Promise<LaunchContext> {
    const response = await this.transport.call(this.launchUrl(id), { method: 'DELETE' });
    return (await jsonOf<LaunchContext>(response)) as LaunchContext;
  }

  /** FHIR through Chartside, for the launch `launchId` (the `mb_launch` value). */
  fhir(launchId: string): FhirClient {
    return new FhirClient(this.transport, launchId);
  }

  private launchUrl(id: string): URL {
    return this.transport.url(`launch-contexts/${encodeURIComponent(id)}`);
  }
}
