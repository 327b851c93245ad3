/**
 * What an app may ask the proxy for: a FHIR path under the launch's FHIR base, and nothing else.
 *
 * The raw request target is checked, never a router-decoded one, so that encoded tricks are seen
 * as sent. The path is split on literal `/` first and each segment decoded afterwards; a decoded
 * segment must then consist of the characters FHIR paths use (resource types, ids
 * `[A-Za-z0-9\-.]{1,64}`, `_history`, `_search`, `$operation`, `.well-known`). So `..`, `%2e%2e`,
 * `%2F`, `\`, `%5C`, `//host`, `https:…`, `@host` and NUL all fail, and the upstream URL is the
 * FHIR base plus the checked segments, re-verified against the base's origin and path.
 * @see http://hl7.org/fhir/R4/http.html#general
 */
import { ChartsideError } from '../errors/catalogue.ts';

const SEGMENT = /^[A-Za-z0-9\-._$]{1,128}$/;
const MAX_SEGMENTS = 8;

export interface FhirTarget {
  /** Checked, decoded path segments under the FHIR base (empty for the base itself). */
  readonly segments: readonly string[];
  /** The query string as the app sent it, without `?` (may be empty). */
  readonly query: string;
}

function refuse(): never {
  throw new ChartsideError('fhir_path_not_allowed');
}

/**
 * Parse `/fhir/<launch id>[/<FHIR path>][?query]` from the raw request URL.
 * Throws `fhir_path_not_allowed` for anything outside the launch's FHIR base.
 */
export function parseFhirTarget(rawUrl: string, launchId: string): FhirTarget {
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rawUrl.slice(queryStart + 1);
  const prefix = `/fhir/${launchId}`;
  if (!path.startsWith(prefix)) refuse();
  const rest = path.slice(prefix.length);
  if (rest !== '' && !rest.startsWith('/')) refuse();
  const raw = rest.slice(1);
  if (raw === '') return { segments: [], query };
  const segments = raw.split('/').map(decodeSegment);
  if (segments.length > MAX_SEGMENTS) refuse();
  return { segments, query };
}

function decodeSegment(raw: string): string {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    refuse();
  }
  if (!SEGMENT.test(segment) || segment === '.' || segment === '..') refuse();
  return segment;
}

/**
 * The EHR URL for a target: the FHIR base (the launch's `iss`) plus the checked segments and the
 * app's query. Re-checks that the result is still under the base (origin and path prefix).
 */
export function upstreamUrl(fhirBase: string, target: FhirTarget): URL {
  const base = new URL(fhirBase.replace(/\/+$/, ''));
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  // The base itself (a system search, a batch or transaction) is the base without a slash.
  url.pathname = target.segments.length === 0 ? basePath || '/' : `${basePath}/${target.segments.join('/')}`;
  url.search = target.query === '' ? '' : `?${target.query}`;
  const underBase = url.pathname === (basePath || '/') || url.pathname.startsWith(`${basePath}/`);
  if (url.origin !== base.origin || !underBase) refuse();
  return url;
}
