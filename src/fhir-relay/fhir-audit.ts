/**
 * One `fhir.request` audit event per authenticated proxy request: who (org, API key prefix),
 * which launch, the FHIR interaction (method, resource type, id or search), the outcome (status,
 * bytes, duration) and our request id. Never a body, a token or a header value. The row has the
 * shape audit/audit-log.ts writes; audit-writer.ts writes it in batches.
 */
import type { AuditRow } from '../audit/audit-log.ts';
import { queryRedactor } from '../logging.ts';
import type { FhirInteraction } from './fhir-interaction.ts';

/** A search's query is kept for the trail (which patient was looked up), capped. */
const MAX_QUERY_CHARS = 512;

/**
 * Credentials an app might put in a query by mistake. Not the log's OAuth list: `code` (and
 * `state`) are ordinary FHIR search parameters (`Observation?code=…`), and the trail keeps them.
 */
const redactSearch = queryRedactor([
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'client_assertion',
  'mb_launch',
]);

export interface FhirAuditRecord {
  readonly orgId: string;
  readonly apiKeyPrefix: string;
  readonly requestId: string;
  readonly method: string;
  readonly startedAt: number;
  launchId: string | null;
  interaction: FhirInteraction | null;
  query: string;
  /** The request went out with a different token than the launch held when it arrived. */
  tokenRenewed: boolean;
  /** Our error code when we answered instead of the EHR. */
  errorCode: string | null;
  ehrStatus: number | null;
  bytes: () => number;
  truncated: () => boolean;
}

export function newFhirAuditRecord(input: {
  orgId: string;
  apiKeyPrefix: string;
  requestId: string;
  method: string;
  startedAt: number;
}): FhirAuditRecord {
  // Every proxied request makes one: the fields are listed, not spread, because V8 builds a spread
  // followed by more properties on a slow path, one property at a time.
  return {
    orgId: input.orgId,
    apiKeyPrefix: input.apiKeyPrefix,
    requestId: input.requestId,
    method: input.method,
    startedAt: input.startedAt,
    launchId: null,
    interaction: null,
    query: '',
    tokenRenewed: false,
    errorCode: null,
    ehrStatus: null,
    bytes: noBytes,
    truncated: notTruncated,
  };
}

// Until the relay sets its own: shared, not made per request (under tsx each named arrow made
// per call also pays a defineProperty for its name).
const noBytes = () => 0;
const notTruncated = () => false;

/** The audit row of one proxied request, once its response is over. */
export function fhirRequestEvent(record: FhirAuditRecord, status: number, now = Date.now()): AuditRow {
  const query = record.query === '' ? null : redactSearch(`?${record.query}`).slice(1, MAX_QUERY_CHARS + 1);
  const details = {
    api_key_prefix: record.apiKeyPrefix,
    method: record.method,
    interaction: record.interaction?.interaction ?? null,
    resource_type: record.interaction?.resourceType ?? null,
    resource_id: record.interaction?.resourceId ?? null,
    search: query,
    status,
    ehr_status: record.ehrStatus,
    error_code: record.errorCode,
    bytes: record.bytes(),
    truncated: record.truncated(),
    duration_ms: Math.max(0, now - record.startedAt),
    token_renewed: record.tokenRenewed,
  };
  return {
    at: new Date(now).toISOString(),
    org_id: record.orgId,
    actor: `api_key:${record.apiKeyPrefix}`,
    action: 'fhir.request',
    launch_id: record.launchId,
    request_id: record.requestId,
    details: JSON.stringify(details),
  };
}
