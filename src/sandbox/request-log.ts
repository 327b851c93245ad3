/**
 * Arrival-order log of what clients sent to the EHR endpoints (`GET /_test/requests`), so
 * gateway tests can assert exact authorize and token parameters (S8), and counters per endpoint
 * and per token grant type (`refresh_token` counts refresh calls), which are not capped like the
 * log and so stay exact under load.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxClock } from './clock.ts';
import { formBody, queryRecord, requestPath } from './forms.ts';

export type RecordedEndpoint =
  | 'smart-configuration'
  | 'metadata'
  | 'authorize'
  | 'token'
  | 'jwk'
  | 'fhir'
  | 'revoke';

export interface RecordedRequest {
  endpoint: RecordedEndpoint;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  form: Record<string, string> | null;
  at: string;
}

const LIMIT = 2000;

/** Requests per endpoint, plus token requests per `grant_type` (`refresh_token`, …). */
export type RequestCounts = Record<string, number>;

export class RequestLog {
  private entries: RecordedRequest[] = [];
  private counts: RequestCounts = {};

  constructor(
    private readonly enabled: boolean,
    private readonly clock: SandboxClock,
  ) {}

  /**
   * Wraps a route handler so each request (after body parsing) is logged under `endpoint`
   * before the handler runs; a hanging handler is still logged.
   */
  recorded<R extends FastifyRequest, T>(
    endpoint: RecordedEndpoint,
    handler: (request: R, reply: FastifyReply) => Promise<T>,
  ): (request: R, reply: FastifyReply) => Promise<T> {
    return async (request, reply) => {
      if (this.enabled) this.record(endpoint, request);
      return handler(request, reply);
    };
  }

  private record(endpoint: RecordedEndpoint, request: FastifyRequest): void {
    const form = formBody(request)?.fields ?? null;
    this.count(endpoint);
    if (endpoint === 'token' && form?.grant_type) this.count(form.grant_type);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.entries.push({
      endpoint,
      method: request.method,
      path: requestPath(request),
      query: queryRecord(request),
      headers,
      form,
      at: this.clock.now().toISOString(),
    });
    if (this.entries.length > LIMIT) this.entries.shift();
  }

  private count(key: string): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
  }

  list(): readonly RecordedRequest[] {
    return this.entries;
  }

  /** `{ fhir: 52, token: 3, authorization_code: 2, refresh_token: 1, … }` since the last clear. */
  tally(): Readonly<RequestCounts> {
    return { ...this.counts };
  }

  clear(): void {
    this.entries = [];
    this.counts = {};
  }
}
