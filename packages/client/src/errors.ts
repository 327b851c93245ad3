/**
 * What a failed call throws. Chartside answers errors in two shapes, and both become one
 * {@link ChartsideApiError}:
 *
 * - the API envelope `{"error": {"type", "code", "message", "param", "doc_url", "request_id"}}`
 *   (`/launch-contexts`);
 * - a FHIR `OperationOutcome` (`/fhir/…`): Chartside's own has the code in
 *   `issue[0].details.coding[0].code` and `Chartside request id <id>` in `issue[0].diagnostics`;
 *   anything else is the EHR's answer, relayed with the EHR's status (code `fhir_error`).
 */
import type { OperationOutcome } from 'fhir/r4.js';

/** The error types of the API envelope; an OperationOutcome of ours gets the type of its status. */
export type ChartsideErrorType =
  | 'authentication_error'
  | 'permission_error'
  | 'invalid_request_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'ehr_error'
  | 'api_error';

export interface ChartsideApiErrorFields {
  readonly status: number;
  /** Branch on this: `resource_not_found`, `token_unavailable`, `fhir_error` (the EHR's own answer), … */
  readonly code: string;
  readonly type: ChartsideErrorType | null;
  readonly message: string;
  readonly param: string | null;
  /** Chartside's request id: quote it to support. */
  readonly requestId: string | null;
  readonly docUrl: string | null;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfter: number | null;
  /** The OperationOutcome as received, for FHIR calls. */
  readonly outcome: OperationOutcome | null;
}

export class ChartsideApiError extends Error implements ChartsideApiErrorFields {
  override readonly name = 'ChartsideApiError';
  readonly status: number;
  readonly code: string;
  readonly type: ChartsideErrorType | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly docUrl: string | null;
  readonly retryAfter: number | null;
  readonly outcome: OperationOutcome | null;

  constructor(fields: ChartsideApiErrorFields) {
    super(fields.message);
    this.status = fields.status;
    this.code = fields.code;
    this.type = fields.type;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.docUrl = fields.docUrl;
    this.retryAfter = fields.retryAfter;
    this.outcome = fields.outcome;
  }
}

/** The call never got an answer: refused connection, DNS failure, or the client's timeout. */
export class ChartsideConnectionError extends Error {
  override readonly name = 'ChartsideConnectionError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isChartsideApiError(error: unknown): error is ChartsideApiError {
  return error instanceof ChartsideApiError;
}

/** Types by status, for OperationOutcomes (the README's "App API" list). */
const TYPE_OF_STATUS: Record<number, ChartsideErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
  431: 'invalid_request_error',
  500: 'api_error',
  502: 'ehr_error',
  503: 'api_error',
  504: 'ehr_error',
};

const OUR_DIAGNOSTICS = /^Chartside request id (\S+)$/;

/** Read a non-2xx answer (its body is consumed) into the error it stands for. */
export async function errorFromResponse(response: Response): Promise<ChartsideApiError> {
  const headerRequestId = response.headers.get('x-request-id');
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  const base = { status: response.status, requestId: headerRequestId, retryAfter, docUrl: null, param: null };
  const body = parseJson(await response.text().catch(() => ''));
  const envelope = asEnvelope(body);
  if (envelope) {
    return new ChartsideApiError({
      ...base,
      code: envelope.code,
      type: (envelope.type as ChartsideErrorType | undefined) ?? TYPE_OF_STATUS[response.status] ?? null,
      message: envelope.message ?? `HTTP ${response.status}`,
      param: envelope.param ?? null,
      requestId: envelope.request_id ?? headerRequestId,
      docUrl: envelope.doc_url ?? null,
      outcome: null,
    });
  }
  if (isOperationOutcome(body)) return fromOutcome(body, base);
  return new ChartsideApiError({
    ...base,
    code: 'unexpected_response',
    type: null,
    message: `Unexpected HTTP ${response.status} answer${response.statusText ? ` (${response.statusText})` : ''}.`,
    outcome: null,
  });
}

function fromOutcome(
  outcome: OperationOutcome,
  base: Pick<ChartsideApiErrorFields, 'status' | 'requestId' | 'retryAfter' | 'docUrl' | 'param'>,
): ChartsideApiError {
  const issue = outcome.issue?.[0];
  const ours = OUR_DIAGNOSTICS.exec(issue?.diagnostics ?? '');
  const code = issue?.details?.coding?.[0]?.code;
  if (ours && code) {
    return new ChartsideApiError({
      ...base,
      code,
      type: TYPE_OF_STATUS[base.status] ?? null,
      message: issue?.details?.text ?? `HTTP ${base.status}`,
      requestId: ours[1] ?? base.requestId,
      outcome,
    });
  }
  // The EHR's own error, relayed as it sent it.
  return new ChartsideApiError({
    ...base,
    code: 'fhir_error',
    type: 'ehr_error',
    message: issue?.diagnostics ?? issue?.details?.text ?? `The EHR answered HTTP ${base.status}.`,
    outcome,
  });
}

interface Envelope {
  type?: string;
  code: string;
  message?: string;
  param?: string | null;
  doc_url?: string | null;
  request_id?: string | null;
}

function asEnvelope(body: unknown): Envelope | null {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error !== 'object' || error === null) return null;
  return typeof (error as Envelope).code === 'string' ? (error as Envelope) : null;
}

function isOperationOutcome(body: unknown): body is OperationOutcome {
  return (body as { resourceType?: unknown } | null)?.resourceType === 'OperationOutcome';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * `Retry-After` in seconds: delta-seconds or an HTTP-date (from now); null when absent or unreadable.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}
