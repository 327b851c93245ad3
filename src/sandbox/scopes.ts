/**
 * SMART scopes as Cerner treats them: the authorize-time filter of S4.11 and the FHIR-side
 * enforcement of S7 (v1 `read` = read + search, v2 `r` = read, `s` = search).
 */
import type { SandboxAppRegistration } from './config.ts';

export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: ScopeContext;
  resourceType: string;
  syntax: 'v1' | 'v2';
  permissions: ReadonlySet<Permission>;
  /** `patient/*.read` or `patient/Observation.*`: Cerner supports neither (docs/cerner.md §3). */
  wildcard: boolean;
}

const RESOURCE_SCOPE = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/;
const V2_PERMISSIONS = /^c?r?u?d?s?$/;

export function parseResourceScope(scope: string): ResourceScope | undefined {
  const match = RESOURCE_SCOPE.exec(scope);
  if (!match) return undefined;
  const [, context, resourceType, access] = match as unknown as [string, ScopeContext, string, string];
  const typeWildcard = resourceType === '*';
  if (access === 'read' || access === 'write' || access === '*') {
    const permissions = new Set<Permission>(
      access === 'read' ? ['r', 's'] : access === 'write' ? ['c', 'u', 'd'] : ['c', 'r', 'u', 'd', 's'],
    );
    return { context, resourceType, syntax: 'v1', permissions, wildcard: typeWildcard || access === '*' };
  }
  if (access !== '' && V2_PERMISSIONS.test(access)) {
    return {
      context,
      resourceType,
      syntax: 'v2',
      permissions: new Set(access.split('') as Permission[]),
      wildcard: typeWildcard,
    };
  }
  return undefined;
}

/**
 * Scopes a provider app gets without ticking anything: Code Console's API Access screen only
 * lists resource scopes, and Type of Access decides offline_access (the guide, "Basic
 * Information" and "API Access").
 */
const IDENTITY_AND_CONTEXT_SCOPES = new Set(['launch', 'openid', 'fhirUser', 'profile', 'online_access']);

/**
 * S4.11: drop wildcards, resource scopes in the other SMART version's syntax, unregistered scopes,
 * offline_access for an online app, patient/ scopes without a patient in context, and system/
 * scopes (they belong to client_credentials). Returns the granted scopes in ASCII order, the
 * order of the live 2026 token response (docs/cerner.md §5).
 */
export function grantableScopes(
  requested: readonly string[],
  app: SandboxAppRegistration,
  hasPatient: boolean,
): string[] {
  const registered = new Set(app.scopes);
  const version = app.smartVersion ?? 'v1';
  const granted = new Set<string>();
  for (const scope of requested) {
    if (scope === 'offline_access') {
      if (app.accessType === 'offline') granted.add(scope);
      continue;
    }
    if (IDENTITY_AND_CONTEXT_SCOPES.has(scope)) {
      granted.add(scope);
      continue;
    }
    const resource = parseResourceScope(scope);
    if (!resource) {
      if (registered.has(scope)) granted.add(scope);
      continue;
    }
    if (resource.wildcard || resource.syntax !== version || !registered.has(scope)) continue;
    if (resource.context === 'system') continue;
    if (resource.context === 'patient' && !hasPatient) continue;
    granted.add(scope);
  }
  return [...granted].sort();
}

export function splitScope(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter((part) => part !== '');
}

export type FhirInteraction = 'read' | 'search';

export interface ScopeDecision {
  allowed: boolean;
  /** Only a patient/ scope allows it: results are limited to the token's patient (S7). */
  patientOnly: boolean;
}

/** Does a set of granted scopes allow this interaction on this resource type? */
export function decideAccess(
  granted: readonly string[],
  resourceType: string,
  interaction: FhirInteraction,
): ScopeDecision {
  const needed: Permission = interaction === 'read' ? 'r' : 's';
  let patientOnly = false;
  for (const scope of granted) {
    const parsed = parseResourceScope(scope);
    if (!parsed || parsed.wildcard || parsed.resourceType !== resourceType) continue;
    if (!parsed.permissions.has(needed)) continue;
    if (parsed.context === 'patient') patientOnly = true;
    else return { allowed: true, patientOnly: false };
  }
  return { allowed: patientOnly, patientOnly };
}
