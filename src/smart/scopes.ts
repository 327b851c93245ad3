/**
 * SMART scopes as Chartside requests them: which syntax a scope string uses (v1 `.read`, v2
 * `.rs`), whether it holds wildcards or granular filters, and the standalone variant of an EHR
 * launch's scopes.
 *
 * Grammar: `( patient | user | system ) / ( ResourceType | * ) . ( read | write | * | [c][r][u][d][s] ) [ ?param=value… ]`.
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-fhir-resources
 */

export type ScopeSyntax = 'v1' | 'v2';

export interface ResourceScope {
  readonly context: 'patient' | 'user' | 'system';
  readonly resourceType: string;
  readonly syntax: ScopeSyntax;
  /** `patient/*.rs`, `user/Observation.*`: any wildcard. */
  readonly wildcard: boolean;
  /** A SMART v2 granular scope (`?category=…`): only v2 defines them. */
  readonly granular: boolean;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Z][A-Za-z]*|\*)\.([a-z]+|\*)(\?.+)?$/;
/** v2 permissions are a non-empty subset of `cruds`, in that order. */
const V2_PERMISSIONS = /^(?=[cruds])c?r?u?d?s?$/;

/** A resource scope, or undefined for anything else (`openid`, `launch`, a custom scope). */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, access, query] = match as unknown as [
    string,
    ResourceScope['context'],
    string,
    string,
    string | undefined,
  ];
  const typeWildcard = resourceType === '*';
  if (access === 'read' || access === 'write' || access === '*') {
    if (query) return undefined; // granular filters exist only in v2
    return { context, resourceType, syntax: 'v1', wildcard: typeWildcard || access === '*', granular: false };
  }
  if (!V2_PERMISSIONS.test(access)) return undefined;
  return { context, resourceType, syntax: 'v2', wildcard: typeWildcard, granular: query !== undefined };
}

/** What a scope string asks for, as far as the EHR's capabilities are concerned. */
export interface ScopeSummary {
  /** The syntaxes its resource scopes use (both: a mixture, which no EHR is asked for). */
  readonly syntaxes: ReadonlySet<ScopeSyntax>;
  readonly wildcards: readonly string[];
  readonly granular: readonly string[];
  /** `patient/…` resource scopes, which need a patient in context. */
  readonly patientScopes: boolean;
  readonly scopes: readonly string[];
}

export function summarizeScopes(value: string): ScopeSummary {
  const scopes = splitScopes(value);
  const syntaxes = new Set<ScopeSyntax>();
  const wildcards: string[] = [];
  const granular: string[] = [];
  let patientScopes = false;
  for (const scope of scopes) {
    const resource = parseResourceScope(scope);
    if (!resource) continue;
    syntaxes.add(resource.syntax);
    if (resource.wildcard) wildcards.push(scope);
    if (resource.granular) granular.push(scope);
    if (resource.context === 'patient') patientScopes = true;
  }
  return { syntaxes, wildcards, granular, patientScopes, scopes };
}

export function splitScopes(value: string): string[] {
  return value.split(/\s+/).filter(Boolean);
}

/**
 * The scopes of a standalone launch: the EHR launch's `launch` becomes `launch/patient` (the
 * user picks a patient at sign-in) and, where the EHR offers it, `launch/encounter`.
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#standalone-apps
 */
export function standaloneScopes(value: string, withEncounter: boolean): string {
  const wanted = ['launch/patient', ...(withEncounter ? ['launch/encounter'] : [])];
  const result: string[] = [];
  let placed = false;
  for (const scope of splitScopes(value)) {
    if (wanted.includes(scope)) continue;
    if (scope !== 'launch') result.push(scope);
    else if (!placed) {
      // In the place `launch` had, so the Scopes row and the request read the same way.
      result.push(...wanted);
      placed = true;
    }
  }
  if (!placed) result.push(...wanted);
  return result.join(' ');
}

/** v1 access ↔ v2 permissions, where one says exactly what the other does (SMART 2.2 §Scopes, "v1 to v2"). */
const V1_TO_V2: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const V2_TO_V1: Record<string, string> = { rs: 'read', cud: 'write', cruds: '*' };

/**
 * The same scopes in the other syntax, for a message that tells the operator what to request
 * instead. A v2 scope with no exact v1 twin (`.r`, granular ones) is left as it is.
 */
export function translateScopes(value: string, to: ScopeSyntax): string {
  return splitScopes(value)
    .map((scope) => {
      const resource = parseResourceScope(scope);
      if (!resource || resource.syntax === to || resource.granular) return scope;
      const dot = scope.lastIndexOf('.');
      const access = scope.slice(dot + 1);
      const other = (to === 'v2' ? V1_TO_V2 : V2_TO_V1)[access];
      return other ? `${scope.slice(0, dot + 1)}${other}` : scope;
    })
    .join(' ');
}
