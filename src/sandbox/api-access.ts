/**
 * The Code Console's API Access step: one table per product (User, Patient or System Product
 * APIs), a row per FHIR resource, Read and Write per row. A tick becomes a registered scope in
 * the app's SMART version: `.read`/`.write` for SMART v1, `.rs`/`.cud` for SMART v2 (the guide,
 * "API Access (Scopes)"; docs/cerner.md §3).
 */
import type { ApplicationType } from './config.ts';
import { parseResourceScope, type ScopeContext } from './scopes.ts';

/** The rows: FHIR resources a provider app typically reads (the sandbox serves data for them). */
export const API_RESOURCES = [
  'AllergyIntolerance',
  'Condition',
  'Encounter',
  'MedicationRequest',
  'Observation',
  'Patient',
  'Practitioner',
] as const;

export type ApiAccess = 'read' | 'write';
export const API_ACCESSES: readonly ApiAccess[] = ['read', 'write'];

export interface ApiTick {
  context: ScopeContext;
  resource: string;
  access: ApiAccess;
}

export interface ApiTable {
  context: ScopeContext;
  /** The table's name on the page, exactly as the guide spells it. */
  title: string;
  /** What the table's scopes are for. */
  hint: string;
}

const USER_TABLE: ApiTable = {
  context: 'user',
  title: 'User Product APIs',
  hint: 'Clinician scopes (user/…): what the signed-in clinician may see.',
};
const PATIENT_TABLE: ApiTable = {
  context: 'patient',
  title: 'Patient Product APIs',
  hint: 'Patient scopes (patient/…): limited to the patient in context.',
};
const SYSTEM_TABLE: ApiTable = {
  context: 'system',
  title: 'System Product APIs',
  hint: 'Backend scopes (system/…), granted with client credentials.',
};

/** Which tables the wizard shows: the Application Type decides (the guide, "Basic Information"). */
export function apiTablesFor(type: ApplicationType): ApiTable[] {
  if (type === 'system') return [SYSTEM_TABLE];
  if (type === 'patient') return [PATIENT_TABLE];
  return [USER_TABLE, PATIENT_TABLE];
}

/** The form field of one checkbox, e.g. `user:Patient:read`. */
export function tickField(tick: ApiTick): string {
  return `${tick.context}:${tick.resource}:${tick.access}`;
}

const TICK_FIELD = /^(user|patient|system):([A-Za-z]+):(read|write)$/;

/** The ticks in a submitted API Access form (unknown resources and tables are ignored). */
export function ticksOfForm(fields: Record<string, string>, type: ApplicationType): ApiTick[] {
  const contexts = new Set(apiTablesFor(type).map((table) => table.context));
  const ticks: ApiTick[] = [];
  for (const [name, value] of Object.entries(fields)) {
    const match = TICK_FIELD.exec(name);
    if (!match || value !== 'on') continue;
    const [, context, resource, access] = match as unknown as [string, ScopeContext, string, ApiAccess];
    if (!contexts.has(context) || !(API_RESOURCES as readonly string[]).includes(resource)) continue;
    ticks.push({ context, resource, access });
  }
  return ticks;
}

/** The scope one tick registers, in the app's SMART version. */
export function scopeOfTick(tick: ApiTick, version: 'v1' | 'v2'): string {
  const permissions = version === 'v2' ? (tick.access === 'read' ? 'rs' : 'cud') : tick.access;
  return `${tick.context}/${tick.resource}.${permissions}`;
}

/** The registered scopes of a set of ticks, in the order of the tables. */
export function scopesOfTicks(ticks: readonly ApiTick[], version: 'v1' | 'v2'): string[] {
  return [...new Set(ticks.map((tick) => scopeOfTick(tick, version)))];
}

/** The ticks behind registered scopes (what the detail page and the consent prompt list). */
export function ticksOfScopes(scopes: readonly string[]): ApiTick[] {
  const ticks: ApiTick[] = [];
  for (const scope of scopes) {
    const parsed = parseResourceScope(scope);
    if (!parsed || parsed.wildcard) continue;
    const { context, resourceType: resource, permissions } = parsed;
    if (permissions.has('r') || permissions.has('s')) ticks.push({ context, resource, access: 'read' });
    if (permissions.has('c') || permissions.has('u') || permissions.has('d'))
      ticks.push({ context, resource, access: 'write' });
  }
  return ticks;
}

/** Whether a tick is among `ticks`. */
export function isTicked(ticks: readonly ApiTick[], tick: ApiTick): boolean {
  return ticks.some(
    (t) => t.context === tick.context && t.resource === tick.resource && t.access === tick.access,
  );
}

/** The registered resource scopes alone: what a launch may be granted besides identity scopes. */
export function resourceScopes(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => parseResourceScope(scope) !== undefined);
}

/**
 * The consent prompt's list: one line per resource with what the app may do ("Patient: read",
 * "Observation: read and write"), from its ticks. The prompt comes before the app's authorize
 * request, so it lists what the app may be granted at most.
 */
export function accessLines(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<ApiAccess>>();
  for (const tick of ticksOfScopes(scopes)) {
    if (tick.context === 'system') continue;
    const accesses = byResource.get(tick.resource) ?? new Set<ApiAccess>();
    accesses.add(tick.access);
    byResource.set(tick.resource, accesses);
  }
  return [...byResource].map(
    ([resource, accesses]) => `${resource}: ${accesses.size === 2 ? 'read and write' : [...accesses][0]}`,
  );
}
