/**
 * What every gateway answer must satisfy, whatever the input: no 5xx (a 502/504 only where the
 * EHR is the cause), nothing internal in the body, our request id in header and body, and the
 * error format of the surface that answered (docs/architecture.md#errors).
 */
import assert from 'node:assert/strict';
import { ChartsideError, ERRORS, type ErrorCode } from '../../src/errors/catalogue.ts';
import { ERROR_CODE_SYSTEM, renderHtmlError } from '../../src/errors/render.ts';
import { escapeHtml } from '../../src/html/escape.ts';
import type { Answer } from './wire.ts';

/** Error codes whose 502/504 names the EHR (or the app's CDS service) as the cause. */
export const EHR_CAUSED = new Set<ErrorCode>([
  'discovery_failed',
  'insecure_endpoint',
  'oauth_error',
  'token_exchange_failed',
  'fhir_error',
  'token_unavailable',
  'fhir_timeout',
  'fhir_response_too_large',
  'cds_service_error',
]);

/** Signs of a stack trace, an internal error message or a database error in a body. */
const LEAKS: [string, RegExp][] = [
  ['stack frame', /\n\s+at |^\s*at .+:\d+:\d+/m],
  ['node internals', /node:internal|node_modules/],
  ['source location', /\.(?:ts|[cm]?js):\d+/],
  ['error class', /\b[A-Z][A-Za-z]*(?:Error|Exception):/],
  [
    'runtime message',
    /Cannot read propert|is not a function|is not defined|Unexpected token|in JSON at position/,
  ],
  ['network internals', /\bECONN[A-Z]+|\bEPIPE\b|fetch failed/],
  ['framework code', /\bFST_[A-Z_]+|\bERR_[A-Z_]{4,}/],
  ['SQL', /\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|relation "|constraint failed/],
  ['database', /sqlite|postgres|kysely/i],
];

export function assertNoLeak(text: string, where: string): void {
  for (const [what, pattern] of LEAKS) {
    const found = pattern.exec(text);
    assert.ok(!found, `${where}: ${what} in the body: ${JSON.stringify(found?.[0])}`);
  }
}

/** 2xx-4xx; a 5xx only when it is a 502/504 whose code blames the EHR. */
export function assertStatusAllowed(answer: Answer, code: ErrorCode | null, where: string): void {
  if (answer.status < 500) return;
  assert.ok(
    (answer.status === 502 || answer.status === 504) && code !== null && EHR_CAUSED.has(code),
    `${where}: ${answer.status} ${code ?? '(no error code)'}`,
  );
}

/** The status the catalogue gives a code, so a body can not claim one status and send another. */
export function statusOf(code: ErrorCode): number {
  return new ChartsideError(code).status;
}

function catalogued(code: unknown, where: string): ErrorCode {
  assert.ok(typeof code === 'string' && Object.hasOwn(ERRORS, code), `${where}: unknown code ${code}`);
  assert.notEqual(code, 'internal_error', `${where}: internal_error`);
  return code as ErrorCode;
}

export function requestIdOf(answer: Answer, where: string): string {
  const id = answer.header('x-request-id');
  assert.match(
    id ?? '',
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    `${where}: X-Request-Id`,
  );
  return id as string;
}

/** `{error:{type,code,message,param,doc_url,request_id}}`, all six keys, consistent with the catalogue. */
export function assertApiError(answer: Answer, where: string): ErrorCode {
  const requestId = requestIdOf(answer, where);
  assert.match(answer.header('content-type') ?? '', /^application\/json/, `${where}: content-type`);
  const body = JSON.parse(answer.body) as { error?: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['error'], `${where}: envelope`);
  const error = body.error as Record<string, unknown>;
  assert.deepEqual(
    Object.keys(error).sort(),
    ['code', 'doc_url', 'message', 'param', 'request_id', 'type'],
    `${where}: envelope keys`,
  );
  const code = catalogued(error.code, where);
  assert.equal(error.type, ERRORS[code].type, `${where}: type of ${code}`);
  assert.equal(answer.status, statusOf(code), `${where}: status of ${code}`);
  assert.equal(typeof error.message, 'string', `${where}: message`);
  assert.ok(error.param === null || typeof error.param === 'string', `${where}: param`);
  assert.equal(error.doc_url, null, `${where}: doc_url`);
  assert.equal(error.request_id, requestId, `${where}: request_id = X-Request-Id`);
  return code;
}

/** A CDS Hooks error: the API envelope, and a Bearer challenge on 401 (CDS Hooks 2.0 §security). */
export function assertCdsError(answer: Answer, where: string): ErrorCode {
  const code = assertApiError(answer, where);
  if (answer.status === 401) {
    assert.match(answer.header('www-authenticate') ?? '', /^Bearer /, `${where}: WWW-Authenticate`);
  }
  return code;
}

/** Our OperationOutcome: the error code as a coding, our request id in `diagnostics`. */
export function assertFhirError(answer: Answer, where: string): ErrorCode {
  const requestId = requestIdOf(answer, where);
  assert.match(answer.header('content-type') ?? '', /^application\/fhir\+json/, `${where}: content-type`);
  const body = JSON.parse(answer.body) as {
    resourceType?: string;
    issue?: {
      severity?: string;
      diagnostics?: string;
      details?: { coding?: { system?: string; code?: string }[] };
    }[];
  };
  assert.equal(body.resourceType, 'OperationOutcome', `${where}: resourceType`);
  const issue = body.issue?.[0];
  assert.equal(issue?.severity, 'error', `${where}: severity`);
  assert.equal(issue?.details?.coding?.[0]?.system, ERROR_CODE_SYSTEM, `${where}: coding system`);
  const code = catalogued(issue?.details?.coding?.[0]?.code, where);
  assert.equal(answer.status, statusOf(code), `${where}: status of ${code}`);
  assert.equal(issue?.diagnostics, `Chartside request id ${requestId}`, `${where}: diagnostics`);
  return code;
}

/** An error page rendered from known, harmless text: the template's own markup. */
const TEMPLATE = renderHtmlError(new ChartsideError('bad_request', { details: { a: 'b' } }), 'id');
/** Every tag an error page may contain. */
const PAGE_TAGS = new Set(tagsOf(TEMPLATE));

function tagsOf(page: string): string[] {
  return page.match(/<[^<>]*>/g) ?? [];
}

/**
 * The HTML error page: text/html, the error code and request id shown, only the template's own
 * tags, and no input of ours (that a browser could read as markup) present unescaped.
 */
export function assertHtmlError(answer: Answer, inputs: readonly string[], where: string): ErrorCode {
  const requestId = requestIdOf(answer, where);
  assert.match(answer.header('content-type') ?? '', /^text\/html/, `${where}: content-type`);
  const page = answer.body;
  const code = catalogued(/<dt>Error code<\/dt><dd>([a-z_]+)<\/dd>/.exec(page)?.[1], where);
  assert.equal(answer.status, statusOf(code), `${where}: status of ${code}`);
  assert.ok(page.includes(`<dt>Request id</dt><dd>${requestId}</dd>`), `${where}: request id shown`);
  assertEscaped(page, inputs, where);
  return code;
}

/** Reflection is allowed only escaped: no foreign tag, no markup-bearing input verbatim. */
export function assertEscaped(page: string, inputs: readonly string[], where: string): void {
  for (const tag of tagsOf(page)) {
    assert.ok(PAGE_TAGS.has(tag), `${where}: a tag the template does not have: ${tag.slice(0, 120)}`);
  }
  for (const input of inputs) {
    // Markup the template itself contains (`</`, `"><`) proves nothing; the tag check covers it.
    if (input.length < 3 || !/[<>]/.test(input) || TEMPLATE.includes(input)) continue;
    const withoutEscaped = page.split(escapeHtml(input)).join('');
    assert.ok(!withoutEscaped.includes(input), `${where}: input reflected unescaped: ${input.slice(0, 80)}`);
  }
}

export type Surface = 'api' | 'html' | 'fhir' | 'cds';

/** The surface a path belongs to (docs/architecture.md#wire-surfaces), so its errors' format is known. */
export function surfaceOfPath(path: string): Surface {
  if (path.startsWith('/fhir/')) return 'fhir';
  if (path.startsWith('/api/cds/')) return 'cds';
  if (path.startsWith('/api/auth/smart/')) return 'html';
  return 'api';
}

/** An error in the format of `surface`, whichever that is. */
export function assertSurfaceError(
  answer: Answer,
  surface: Surface,
  inputs: readonly string[],
  where: string,
): ErrorCode {
  const code =
    surface === 'html'
      ? assertHtmlError(answer, inputs, where)
      : surface === 'fhir'
        ? assertFhirError(answer, where)
        : surface === 'cds'
          ? assertCdsError(answer, where)
          : assertApiError(answer, where);
  assertStatusAllowed(answer, code, where);
  return code;
}

const CONTENT_TYPE_OF: Record<Surface, RegExp> = {
  api: /^application\/json/,
  cds: /^application\/json/,
  fhir: /^application\/fhir\+json/,
  html: /^text\/html/,
};

/** A HEAD answer has no body: its status, request id and the surface's content type. */
export function assertHeadAnswer(answer: Answer, surface: Surface, where: string): void {
  assert.ok(answer.status < 500, `${where}: ${answer.status}`);
  requestIdOf(answer, where);
  assert.equal(answer.body, '', `${where}: a body on HEAD`);
  if (answer.status >= 400) {
    assert.match(answer.header('content-type') ?? '', CONTENT_TYPE_OF[surface], `${where}: content-type`);
  }
}
