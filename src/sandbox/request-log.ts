/**
 * Arrival-order log of what clients sent to the EHR endpoints (`GET /_test/requests`), so
 * gateway tests can assert exact authorize and token parameters (S8).
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

export class RequestLog {
  private entries: RecordedRequest[] = [];

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
      form: formBody(request)?.fields ?? null,
      at: this.clock.now().toISOString(),
    });
    if (this.entries.length > LIMIT) this.entries.shift();
  }

  list(): readonly RecordedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}
