/**
 * The one error catalogue. Handlers throw {@link ChartsideError}; a renderer per surface
 * (API envelope, HTML page, …) turns it into a body. Codes are stable: scripts branch on them.
 *
 * Types and statuses follow docs/architecture.md#errors.
 */
import { isDatabaseUnavailable } from '../db/unavailable.ts';

export type ErrorType =
  | 'authentication_error'
  | 'permission_error'
  | 'invalid_request_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'ehr_error'
  | 'api_error';

const STATUS_OF_TYPE: Record<ErrorType, number> = {
  authentication_error: 401,
  permission_error: 403,
  invalid_request_error: 400,
  not_found_error: 404,
  conflict_error: 409,
  rate_limit_error: 429,
  ehr_error: 502,
  api_error: 500,
};

interface Entry {
  readonly type: ErrorType;
  readonly message: string;
  readonly status?: number;
}

/** Every code we emit, with its type and default public message. */
export const ERRORS = {
  missing_api_key: {
    type: 'authentication_error',
    message: 'An API key is required: send Authorization: Bearer <key>.',
  },
  invalid_api_key: { type: 'authentication_error', message: 'The API key is not valid.' },
  resource_not_found: { type: 'not_found_error', message: 'No such resource.' },
  route_not_found: { type: 'not_found_error', message: 'No such endpoint.' },
  bad_request: { type: 'invalid_request_error', message: 'The request is not valid.' },
  unsupported_api_version: { type: 'invalid_request_error', message: 'Unsupported API version.' },
  payload_too_large: {
    type: 'invalid_request_error',
    status: 413,
    message: 'The request body is too large.',
  },
  method_not_allowed: { type: 'invalid_request_error', status: 405, message: 'Method not allowed.' },
  // Refused by the HTTP parser before any route runs (errors/fastify.ts handleClientError)
  headers_too_large: {
    type: 'invalid_request_error',
    status: 431,
    message: 'The request headers are too large.',
  },
  request_timeout: {
    type: 'invalid_request_error',
    status: 408,
    message: 'The request did not arrive in time.',
  },
  // Launch (browser-facing)
  org_not_found: {
    type: 'not_found_error',
    message: 'This launch link names an organization that does not exist.',
  },
  connection_not_configured: {
    type: 'not_found_error',
    message: 'This organization has no EHR connection configured for launches yet.',
  },
  fhir_source_not_found: { type: 'invalid_request_error', message: 'FHIR source not found for iss' },
  fhir_source_not_linked: {
    type: 'permission_error',
    message: 'This organization is not linked to the EHR tenant that sent the launch.',
  },
  invalid_launch_request: { type: 'invalid_request_error', message: 'The launch request is not valid.' },
  discovery_failed: { type: 'ehr_error', message: 'Could not read the EHR’s SMART configuration.' },
  // The connection asks for what the EHR's SMART configuration does not offer (smart/capabilities.ts)
  ehr_capability_mismatch: {
    type: 'conflict_error',
    message: 'The EHR’s SMART configuration does not offer what this connection asks for.',
  },
  insecure_endpoint: { type: 'ehr_error', message: 'The EHR advertised an endpoint that is not allowed.' },
  ehr_endpoint_not_allowed: {
    type: 'ehr_error',
    message:
      'The EHR advertised an endpoint on a private or local network, which production sources may not use.',
  },
  // Callback
  invalid_state: {
    type: 'invalid_request_error',
    message:
      'This sign-in link is unknown, has already been used, or has expired. Launch the app again from the EHR.',
  },
  oauth_error: { type: 'ehr_error', message: 'The EHR did not authorize the launch.' },
  token_exchange_failed: {
    type: 'ehr_error',
    message: 'The EHR’s token endpoint did not complete the launch.',
  },
  fhir_error: { type: 'ehr_error', message: 'The EHR’s FHIR server returned an error.' },
  token_unavailable: { type: 'ehr_error', message: 'No usable EHR token is held for this launch.' },
  // FHIR proxy (rendered as OperationOutcome)
  fhir_path_not_allowed: {
    type: 'invalid_request_error',
    message: 'The path is not a FHIR path under this launch’s FHIR base.',
  },
  unsupported_media_type: {
    type: 'invalid_request_error',
    status: 415,
    message: 'Send FHIR JSON (application/fhir+json), JSON Patch or a form body.',
  },
  fhir_timeout: {
    type: 'ehr_error',
    status: 504,
    message: 'The EHR’s FHIR server did not answer in time.',
  },
  fhir_response_too_large: {
    type: 'ehr_error',
    message: 'The EHR’s FHIR response is larger than this gateway relays.',
  },
  // CDS Hooks relay (rendered as the API envelope, with WWW-Authenticate on 401)
  cds_unauthorized: {
    type: 'authentication_error',
    message:
      'The CDS Hooks request is not authenticated: send Authorization: Bearer <JWT> signed by a trusted issuer.',
  },
  cds_not_configured: {
    type: 'not_found_error',
    message: 'This organization has no CDS endpoint configured.',
  },
  cds_service_error: {
    type: 'ehr_error',
    message: 'The app’s CDS service did not answer its discovery request correctly.',
  },
  invalid_cds_token: {
    type: 'authentication_error',
    message: 'The CDS FHIR token is not valid here: it may have expired or belong to another hook call.',
  },
  cds_fhir_not_allowed: {
    type: 'permission_error',
    message: 'A CDS FHIR token only reads the hook’s patient, within its scopes.',
  },
  // Admin input (CLI and, later, the console)
  invalid_data: { type: 'invalid_request_error', message: 'The input is not valid.' },
  resource_conflict: {
    type: 'conflict_error',
    message: 'That conflicts with something that already exists.',
  },
  source_already_linked: {
    type: 'conflict_error',
    message: 'This production FHIR source is already linked to another organization.',
  },
  platform_admin_required: {
    type: 'permission_error',
    message: 'Only a platform admin can do that.',
  },
  // Webhooks (src/webhooks/) and metrics (src/metrics/)
  webhook_url_not_allowed: {
    type: 'invalid_request_error',
    message:
      'The webhook URL is on a private or local network address, which a production gateway does not send to.',
  },
  metrics_token_required: {
    type: 'authentication_error',
    message: 'Metrics need the metrics token: send Authorization: Bearer <CHARTSIDE_METRICS_TOKEN>.',
  },
  rate_limited: { type: 'rate_limit_error', message: 'Too many requests.' },
  internal_error: { type: 'api_error', message: 'Something went wrong on our side.' },
  database_unavailable: {
    type: 'api_error',
    status: 503,
    message: 'The service is briefly unavailable. Try again in a moment.',
  },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ERRORS;

export interface ChartsideErrorOptions {
  /** Public message that replaces the catalogue's default. Never put secrets or raw upstream bodies here. */
  message?: string;
  /** The request field at fault. */
  param?: string | null;
  /** Extra public facts a renderer may show (for example the EHR's `error` and `error_uri`). */
  details?: Readonly<Record<string, string | null>>;
  /** Private cause, logged but never rendered. */
  cause?: unknown;
}

export class ChartsideError extends Error {
  override readonly name = 'ChartsideError';
  readonly code: ErrorCode;
  readonly type: ErrorType;
  readonly status: number;
  readonly param: string | null;
  readonly details: Readonly<Record<string, string | null>>;

  constructor(code: ErrorCode, options: ChartsideErrorOptions = {}) {
    const entry: Entry = ERRORS[code];
    super(options.message ?? entry.message, { cause: options.cause });
    this.code = code;
    this.type = entry.type;
    this.status = entry.status ?? STATUS_OF_TYPE[entry.type];
    this.param = options.param ?? null;
    this.details = options.details ?? {};
  }
}

/** Anything that is not a deliberate ChartsideError becomes a generic 500 that exposes nothing. */
export function toChartsideError(error: unknown): ChartsideError {
  if (error instanceof ChartsideError) return error;
  const fastifyCode = (error as { code?: string; statusCode?: number } | null)?.code;
  const statusCode = (error as { statusCode?: number } | null)?.statusCode;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || statusCode === 413) {
    return new ChartsideError('payload_too_large', { cause: error });
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Framework-level client errors (malformed JSON, bad content type, validation): a 400 with a
    // fixed message, because framework messages can echo input.
    if (statusCode === 404) return new ChartsideError('route_not_found', { cause: error });
    if (statusCode === 405) return new ChartsideError('method_not_allowed', { cause: error });
    return new ChartsideError('bad_request', { cause: error });
  }
  // A database restart or failover is passing, not a bug: 503, worth a retry.
  if (isDatabaseUnavailable(error)) return new ChartsideError('database_unavailable', { cause: error });
  return new ChartsideError('internal_error', { cause: error });
}
