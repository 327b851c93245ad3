/**
 * One FHIR request to an EHR and its answer relayed back: what the FHIR proxy (an app, with its
 * API key and a launch's token) and the CDS relay's FHIR access (a CDS service, with the token
 * the relay gave it) share. The callers decide who may ask for what; this room decides how the
 * request goes out — the address policy of the source's environment (checked by name here and
 * again where the connection is made), the FHIR timeout, no redirects — and how the answer comes
 * back (relay.ts: status, chosen headers, links rewritten to our base, size-capped).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError, type OutboundHttp, type OutboundStreamResponse } from '../http/outbound.ts';
import { assertAllowedUrl, type UrlPolicy, urlPolicyFor } from '../http/url-policy.ts';
import { type FhirTarget, upstreamUrl } from './fhir-path.ts';
import { type RelayResult, relayResponse } from './relay.ts';

/** A request under `/fhir/:launchId/…` (the handle is a launch id or a CDS FHIR handle). */
export type FhirRelayRequest = FastifyRequest<{ Params: { launchId: string } }>;

export interface FhirUpstream {
  /** The FHIR base the request is under (the launch's `iss`, or the hook's `fhirServer`). */
  readonly fhirBase: string;
  /** `sandbox` or `production`: the source's environment picks the address policy. */
  readonly environment: string;
}

export interface FhirRelayDeps {
  readonly http: OutboundHttp;
  readonly config: Pick<
    Config,
    'allowPrivateUpstreams' | 'fhirTimeoutMs' | 'fhirMaxResponseBytes' | 'publicUrl'
  >;
}

/** The EHR URL for `target`, checked against the source's policy before anything is sent. */
export function upstreamFor(
  deps: FhirRelayDeps,
  upstream: FhirUpstream,
  target: FhirTarget,
): { url: URL; policy: UrlPolicy } {
  const url = upstreamUrl(upstream.fhirBase, target);
  const policy = urlPolicyFor(upstream, deps.config.allowPrivateUpstreams);
  assertAllowedUrl(url.href, policy, 'FHIR base');
  return { url, policy };
}

/** Send one request; transport failures become our `fhir_timeout` / `fhir_error`. */
export async function sendToEhr(
  deps: FhirRelayDeps,
  { url, policy }: { url: URL; policy: UrlPolicy },
  request: { method: string; headers: Record<string, string>; body?: Buffer | undefined },
): Promise<OutboundStreamResponse> {
  try {
    return await deps.http.stream(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
      timeoutMs: deps.config.fhirTimeoutMs,
      policy,
    });
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.kind === 'timeout') throw new ChartsideError('fhir_timeout', { cause: error });
    throw new ChartsideError('fhir_error', {
      message:
        error.kind === 'redirect'
          ? 'The EHR’s FHIR server answered with a redirect, which the proxy does not follow.'
          : 'The EHR’s FHIR server could not be reached.',
      cause: error,
    });
  }
}

/** Relay the EHR's answer, its links pointing at `<PUBLIC_URL>/fhir/<handle>`. */
export function relayToClient(
  deps: FhirRelayDeps,
  answer: OutboundStreamResponse,
  reply: FastifyReply,
  { fhirBase, handle, method }: { fhirBase: string; handle: string; method: string },
): Promise<RelayResult> {
  return relayResponse(answer, reply, {
    bases: { ehrBase: fhirBase.replace(/\/+$/, ''), proxyBase: `${deps.config.publicUrl}/fhir/${handle}` },
    maxBytes: deps.config.fhirMaxResponseBytes,
    method,
  });
}
