/**
 * SMART resource scopes as the Epic and SMART profiles read them (SMART App Launch 2.2,
 * "Scopes for requesting clinical data"): v1 (`.read`, `.write`, `.*`) and v2 (`.cruds` letters)
 * permissions, `*` for every resource type, and granular `?param=value` filters, of which the
 * FHIR side enforces `category` (the one the IG's examples use). Cerner's narrower reading, with
 * no wildcards, stays in scopes.ts.
 */
import type { Resource } from 'fhir/r4.js';
import { type FhirInteraction, type Permission, parseResourceScope, type ResourceScope } from './scopes.ts';

export interface ParsedScope extends ResourceScope {
  /** `Observation` or `*`. */
  resourceType: string;
  /** The granular filter, or undefined. */
  query: URLSearchParams | undefined;
}

const CRUDS: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];

/** A resource scope with its filter, or undefined for anything else (`launch`, `user/Patient.Read`). */
export function parseScope(scope: string): ParsedScope | undefined {
  const question = scope.indexOf('?');
  const head = question === -1 ? scope : scope.slice(0, question);
  const parsed = parseResourceScope(head);
  if (!parsed) return undefined;
  const query = question === -1 ? undefined : new URLSearchParams(scope.slice(question + 1));
  if (query !== undefined && [...query.keys()].length === 0) return undefined;
  return { ...parsed, query };
}

function sameQuery(a: URLSearchParams | undefined, b: URLSearchParams | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const sorted = (query: URLSearchParams) =>
    [...query]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&');
  return sorted(a) === sorted(b);
}

/**
 * What a registered v2 scope lets a requested v2 scope have: the requested permissions it holds
 * (possibly none). A registration without a filter covers the same scope with any filter.
 */
export function coveredPermissions(registered: ParsedScope, requested: ParsedScope): Permission[] {
  if (registered.context !== requested.context) return [];
  if (registered.resourceType !== '*' && registered.resourceType !== requested.resourceType) return [];
  if (registered.query !== undefined && !sameQuery(registered.query, requested.query)) return [];
  return CRUDS.filter((letter) => requested.permissions.has(letter) && registered.permissions.has(letter));
}

/** `patient/Observation.rs?category=laboratory` rebuilt with other permission letters. */
export function withPermissions(scope: ParsedScope, letters: readonly Permission[]): string {
  const query = scope.query ? `?${scope.query.toString()}` : '';
  return `${scope.context}/${scope.resourceType}.${letters.join('')}${query}`;
}

/** Does a granular filter select this resource? Only `category` is understood; others select nothing. */
function filterMatches(query: URLSearchParams, resource: Resource): boolean {
  for (const [name, wanted] of query) {
    if (name !== 'category') return false;
    const categories = (resource as { category?: { coding?: { system?: string; code?: string }[] }[] })
      .category;
    const [system, code] = wanted.includes('|') ? wanted.split('|', 2) : [undefined, wanted];
    const found = (categories ?? []).some((concept) =>
      (concept.coding ?? []).some(
        (coding) =>
          coding.code === code && (system === undefined || system === '' || coding.system === system),
      ),
    );
    if (!found) return false;
  }
  return true;
}

export interface ProfileAccess {
  allowed: boolean;
  /** Only patient/ scopes allow it: the launch patient's compartment only. */
  patientOnly: boolean;
  /** Which resources the scopes show (granular scopes show fewer). */
  visible(resource: Resource): boolean;
}

/** Does a grant allow this interaction on this type, and on which resources? */
export function decideProfileAccess(
  granted: readonly string[],
  resourceType: string,
  interaction: FhirInteraction,
): ProfileAccess {
  const needed: Permission = interaction === 'read' ? 'r' : 's';
  const matching = granted
    .map(parseScope)
    .filter(
      (scope): scope is ParsedScope =>
        scope !== undefined &&
        scope.context !== 'system' &&
        (scope.resourceType === '*' || scope.resourceType === resourceType) &&
        scope.permissions.has(needed),
    );
  return {
    allowed: matching.length > 0,
    patientOnly: matching.length > 0 && matching.every((scope) => scope.context === 'patient'),
    visible: (resource) =>
      matching.some((scope) => scope.query === undefined || filterMatches(scope.query, resource)),
  };
}
