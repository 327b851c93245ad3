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

/** Which imitated EHR a request went to (docs/sandbox-profiles.md). */
export type SandboxProfile = 'cerner' | 'epic' | 'smart';

export interface RecordedRequest {
  endpoint: RecordedEndpoint;
  profile: SandboxProfile;
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
  private counts = new Map<SandboxProfile, RequestCounts>();

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
    profile: SandboxProfile = 'cerner',
  ): (request: R, reply: FastifyReply) => Promise<T> {
    return async (request, reply) => {
      if (this.enabled) this.record(endpoint, profile, request);
      return handler(request, reply);
    };
  }

  private record(endpoint: RecordedEndpoint, profile: SandboxProfile, request: FastifyRequest): void {
    const form = formBody(request)?.fields ?? null;
    this.count(profile, endpoint);
    if (endpoint === 'token' && form?.grant_type) this.count(profile, form.grant_type);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.entries.push({
      endpoint,
      profile,
      method: request.method,
      path: requestPath(request),
      query: queryRecord(request),
      headers,
      form,
      at: this.clock.now().toISOString(),
    });
    if (this.entries.length > LIMIT) this.entries.shift();
  }

  private count(profile: SandboxProfile, key: string): void {
    const counts = this.counts.get(profile) ?? {};
    counts[key] = (counts[key] ?? 0) + 1;
    this.counts.set(profile, counts);
  }

  /** The log, or the part of it that went to one profile. */
  list(profile?: SandboxProfile): readonly RecordedRequest[] {
    return profile ? this.entries.filter((entry) => entry.profile === profile) : this.entries;
  }

  /**
   * `{ fhir: 52, token: 3, authorization_code: 2, refresh_token: 1, … }` since the last clear:
   * one profile's, or all profiles' added up.
   */
  tally(profile?: SandboxProfile): Readonly<RequestCounts> {
    if (profile) return { ...this.counts.get(profile) };
    const total: RequestCounts = {};
    for (const counts of this.counts.values()) {
      for (const [key, value] of Object.entries(counts)) total[key] = (total[key] ?? 0) + value;
    }
    return total;
  }

  clear(): void {
    this.entries = [];
    this.counts.clear();
  }
}
