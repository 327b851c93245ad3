/**
 * The launch context that rides along with the token response, beyond the tokens: what SMART
 * names, as sent, and whatever else the EHR added (vendor extensions), never a token.
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token
 */

/**
 * Token-response fields that are the grant itself, SMART context Chartside keeps apart, or the
 * flow's own `state` (Epic repeats it: consumed, and of no use to the app).
 */
const KNOWN_FIELDS = new Set([
  'state',
  'access_token',
  'token_type',
  'expires_in',
  'scope',
  'refresh_token',
  'id_token',
  'patient',
  'encounter',
  'need_patient_banner',
  'smart_style_url',
  'tenant',
  'intent',
  'fhirContext',
]);

/** A field whose name says it carries a credential (`issued_token_type` too: cheap to lose). */
const CREDENTIAL_NAME = /token|secret|assertion|password|code_verifier|^code$/i;
/** A compact JWS or JWE: three or five base64url parts, the first a JSON header (`{"` is `eyJ`). */
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*){2}((\.[A-Za-z0-9_-]*){2})?$/;

/** At most this much JSON is kept of `fhirContext` and of the extra fields, each. */
export const MAX_CONTEXT_JSON = 16_384;

export interface ExtraContext {
  /** SMART `fhirContext`: the array as sent (SMART 2), or null when absent, not an array, or too large. */
  readonly fhirContext: readonly unknown[] | null;
  /** The other fields, or null when there are none. */
  readonly extraContext: Readonly<Record<string, unknown>> | null;
}

export function extraContextOf(response: Readonly<Record<string, unknown>>): ExtraContext {
  const fhirContext = response.fhirContext;
  return {
    fhirContext: Array.isArray(fhirContext) && fits(fhirContext) ? fhirContext : null,
    extraContext: extraFields(response),
  };
}

/**
 * The fields SMART does not name, in the order sent, leaving out anything that may be a
 * credential: by its name, or by its value looking like a JWT anywhere inside it. Fields that
 * would take the total past {@link MAX_CONTEXT_JSON} are left out.
 */
function extraFields(response: Readonly<Record<string, unknown>>): Record<string, unknown> | null {
  const kept: Record<string, unknown> = {};
  let size = 2;
  for (const [name, value] of Object.entries(response)) {
    if (KNOWN_FIELDS.has(name) || CREDENTIAL_NAME.test(name) || holdsJwt(value) || value === undefined)
      continue;
    const cost = JSON.stringify(name).length + JSON.stringify(value).length + 2;
    if (size + cost > MAX_CONTEXT_JSON) continue;
    kept[name] = value;
    size += cost;
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

function holdsJwt(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return JWT_SHAPE.test(value) && hasJoseHeader(value);
  if (depth > 8 || typeof value !== 'object' || value === null) return false;
  return Object.values(value).some((inner) => holdsJwt(inner, depth + 1));
}

/** Tokens under other names stay out too: a value whose first part is a JOSE header (`alg`, `enc`). */
function hasJoseHeader(value: string): boolean {
  try {
    const header: unknown = JSON.parse(
      Buffer.from(value.slice(0, value.indexOf('.')), 'base64url').toString('utf8'),
    );
    return typeof header === 'object' && header !== null && ('alg' in header || 'enc' in header);
  } catch {
    return false;
  }
}

function fits(value: unknown): boolean {
  return JSON.stringify(value).length <= MAX_CONTEXT_JSON;
}
