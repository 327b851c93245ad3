/** One renderer per surface. Each takes a ChartsideError and the request id, nothing else. */
import { html } from '../html/escape.ts';
import { page } from '../html/page.ts';
import type { ChartsideError, ErrorCode, ErrorType } from './catalogue.ts';

/** The API envelope of docs/architecture.md#errors: all six keys always present. */
export function renderApiError(error: ChartsideError, requestId: string) {
  return {
    error: {
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param,
      doc_url: null,
      request_id: requestId,
    },
  };
}

/** A browser-facing error page (launch and callback). Shows the code and request id for support. */
export function renderHtmlError(error: ChartsideError, requestId: string): string {
  const facts = Object.entries(error.details).filter(([, value]) => value !== null && value !== '');
  return page(
    'Launch error',
    html`<div class="card error">
  <h1>${error.message}</h1>
  <dl>
    ${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
    <dt>Error code</dt><dd>${error.code}</dd>
    <dt>Request id</dt><dd>${requestId}</dd>
  </dl>
  <p class="muted">Close this window and launch the app again from the patient’s chart. If it keeps happening,
  give the request id above to your administrator.</p>
</div>`,
  );
}

/** FHIR issue-type codes (http://hl7.org/fhir/R4/valueset-issue-type.html) for our error types. */
const ISSUE_OF_TYPE: Record<ErrorType, string> = {
  authentication_error: 'login',
  permission_error: 'forbidden',
  invalid_request_error: 'invalid',
  not_found_error: 'not-found',
  conflict_error: 'conflict',
  rate_limit_error: 'throttled',
  ehr_error: 'exception',
  api_error: 'exception',
};

const ISSUE_OF_CODE: Partial<Record<ErrorCode, string>> = {
  payload_too_large: 'too-long',
  fhir_response_too_large: 'too-long',
  unsupported_media_type: 'not-supported',
  method_not_allowed: 'not-supported',
  fhir_timeout: 'timeout',
  // FHIR's "expired": the session is over and the user must authenticate again (relaunch).
  token_unavailable: 'expired',
};

/** Our error codes as a FHIR code system, so apps can branch on `details.coding[0].code`. */
export const ERROR_CODE_SYSTEM = 'urn:chartside:error-code';

/**
 * The FHIR proxy's error body: an OperationOutcome whose issue carries our stable error code and
 * public message, and our request id for support (EHR errors are relayed as the EHR sent them).
 * @see http://hl7.org/fhir/R4/operationoutcome.html
 */
export function renderFhirError(error: ChartsideError, requestId: string) {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: ISSUE_OF_CODE[error.code] ?? ISSUE_OF_TYPE[error.type],
        details: { coding: [{ system: ERROR_CODE_SYSTEM, code: error.code }], text: error.message },
        diagnostics: `Chartside request id ${requestId}`,
      },
    ],
  };
}
