/**
 * Search rules per resource type, as Cerner documents them (docs/cerner.md §14, S7): which
 * parameters qualify a search, which may repeat, default page sizes and result order.
 */
import type { Encounter, Observation, Patient, Practitioner, Resource } from 'fhir/r4.js';
import { CLINICAL_RESOURCES, clinicalPatientOf, searchClinical } from './clinical.ts';
import { ENCOUNTER_RESOURCES, MERGED_PATIENT_ID, PATIENT_RESOURCES, PRACTITIONER_RESOURCES } from './data.ts';
import { insufficientScopeOutcome } from './fhir-outcomes.ts';
import {
  badSearch,
  dateFilter,
  matchesDate,
  noSupportedParameters,
  pageSize,
  SearchError,
  single,
  targetPatient,
  tokenMatches,
  values,
} from './fhir-query.ts';
import { OBSERVATION_RESOURCES } from './vitals.ts';

/** What the token lets the caller see: everything, or only its launch patient (patient/ scopes). */
export interface PatientAccess {
  patientOnly: boolean;
  patientId: string | undefined;
}

export interface SearchMatches {
  resources: Resource[];
  count: number;
}

export function forbidden(): SearchError {
  return new SearchError(403, insufficientScopeOutcome(), true);
}

/** With only patient/ scopes, a search must target the token's patient (S7). */
function requireOwnPatient(access: PatientAccess, target: string | undefined): void {
  if (access.patientOnly && (target === undefined || target !== access.patientId)) throw forbidden();
}

/** The patient a resource belongs to, for patient/ scope checks on reads. */
export function patientOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Patient') return resource.id;
  if (Object.hasOwn(CLINICAL_RESOURCES, resource.resourceType)) return clinicalPatientOf(resource);
  const subject = (resource as Encounter | Observation).subject?.reference;
  return subject?.startsWith('Patient/') ? subject.slice('Patient/'.length) : undefined;
}

function ids(params: URLSearchParams): Set<string> | undefined {
  const raw = single(params, '_id');
  return raw === undefined ? undefined : new Set(raw.split(',').filter((id) => id !== ''));
}

function nameMatches(
  patient: Patient | Practitioner,
  field: 'name' | 'family' | 'given',
  raw: string,
  exact: boolean,
): boolean {
  const wanted = exact ? raw : raw.toLowerCase();
  return (patient.name ?? []).some((name) => {
    const parts =
      field === 'family'
        ? [name.family]
        : field === 'given'
          ? (name.given ?? [])
          : [name.family, name.text, ...(name.given ?? [])];
    return parts.some((part) => {
      if (part === undefined) return false;
      return exact ? part === wanted : part.toLowerCase().startsWith(wanted);
    });
  });
}

/** Name-style parameters (`name`, `family`, `given`, each optionally `:exact`). */
function filterByNames<T extends Patient | Practitioner>(
  resources: T[],
  params: URLSearchParams,
): { out: T[]; used: boolean } {
  let out = resources;
  let used = false;
  for (const field of ['name', 'family', 'given'] as const) {
    for (const exact of [false, true]) {
      const raw = single(params, exact ? `${field}:exact` : field);
      if (raw === undefined) continue;
      used = true;
      out = out.filter((resource) => nameMatches(resource, field, raw, exact));
    }
  }
  return { out, used };
}

function searchPatients(params: URLSearchParams, access: PatientAccess): SearchMatches {
  // The merged record 12742633 appears only on direct read (S7).
  let out = PATIENT_RESOURCES.filter((patient) => patient.id !== MERGED_PATIENT_ID);
  let qualifying = false;
  const wantedIds = ids(params);
  if (wantedIds) {
    qualifying = true;
    if (access.patientOnly && [...wantedIds].some((id) => id !== access.patientId)) throw forbidden();
    out = out.filter((patient) => wantedIds.has(patient.id ?? ''));
  }
  const identifier = single(params, 'identifier');
  if (identifier !== undefined) {
    qualifying = true;
    out = out.filter((patient) =>
      (patient.identifier ?? []).some((id) => tokenMatches(identifier, id.system, id.value)),
    );
  }
  const names = filterByNames(out, params);
  out = names.out;
  qualifying ||= names.used;
  const birthdates = values(params, 'birthdate', 2).map((raw) => dateFilter('birthdate', raw, false));
  if (birthdates.length > 0) {
    qualifying = true;
    out = out.filter((patient) => birthdates.every((filter) => matchesDate(filter, patient.birthDate)));
  }
  for (const absent of ['phone', 'email', 'address-postalcode']) {
    // The fixtures carry no telecom or address, so these qualify a search but match nothing.
    if (single(params, absent) !== undefined) {
      qualifying = true;
      out = [];
    }
  }
  const gender = single(params, 'gender');
  if (!qualifying) throw noSupportedParameters();
  if (gender !== undefined) out = out.filter((patient) => patient.gender === gender);
  if (access.patientOnly) out = out.filter((patient) => patient.id === access.patientId);
  if (out.length > 1000) throw new SearchError(422, badSearch('more than 1000 patients match').outcome);
  return { resources: out, count: pageSize(params, 20, 200) };
}

const ENCOUNTER_STATUSES = new Set(['planned', 'in-progress', 'finished', 'cancelled']);

function searchEncounters(params: URLSearchParams, access: PatientAccess): SearchMatches {
  let out: Encounter[] = [...ENCOUNTER_RESOURCES];
  const wantedIds = ids(params);
  const patient = targetPatient(params);
  const account = single(params, 'account');
  const identifier = single(params, 'identifier');
  if (!wantedIds && patient === undefined && account === undefined && identifier === undefined) {
    throw noSupportedParameters();
  }
  if (wantedIds) {
    out = out.filter((encounter) => wantedIds.has(encounter.id ?? ''));
    if (access.patientOnly && out.some((encounter) => patientOf(encounter) !== access.patientId))
      throw forbidden();
  } else {
    requireOwnPatient(access, patient);
  }
  if (patient !== undefined) out = out.filter((encounter) => patientOf(encounter) === patient);
  // The fixtures have no accounts or encounter identifiers.
  if (account !== undefined || identifier !== undefined) out = [];
  for (const filter of values(params, 'date', 2).map((raw) => dateFilter('date', raw, true))) {
    out = out.filter((encounter) => matchesDate(filter, encounter.period?.start));
  }
  const status = single(params, 'status');
  if (status !== undefined) {
    if (!ENCOUNTER_STATUSES.has(status))
      throw badSearch(`status must be one of ${[...ENCOUNTER_STATUSES].join(', ')}`);
    out = out.filter((encounter) => encounter.status === status);
  }
  // Oldest first by period start (S7).
  out.sort((a, b) => (a.period?.start ?? '').localeCompare(b.period?.start ?? ''));
  return { resources: out, count: pageSize(params, 20, 200) };
}

function searchObservations(params: URLSearchParams, access: PatientAccess): SearchMatches {
  let out: Observation[] = [...OBSERVATION_RESOURCES];
  const wantedIds = ids(params);
  if (wantedIds) {
    const others = [...params.keys()].filter((name) => name !== '_id');
    if (others.length > 0) throw badSearch('_id must be used alone');
    out = out.filter((observation) => wantedIds.has(observation.id ?? ''));
    if (access.patientOnly && out.some((observation) => patientOf(observation) !== access.patientId))
      throw forbidden();
    return { resources: out, count: 50 };
  }
  const patient = targetPatient(params);
  if (patient === undefined) throw noSupportedParameters();
  requireOwnPatient(access, patient);
  out = out.filter((observation) => patientOf(observation) === patient);
  const code = single(params, 'code');
  if (code !== undefined) {
    // Matched on Observation.code only, never on component codes (docs/cerner.md §14).
    const tokens = code.split(',');
    out = out.filter((observation) =>
      (observation.code.coding ?? []).some((coding) =>
        tokens.some((token) => tokenMatches(token, coding.system, coding.code)),
      ),
    );
  }
  const category = single(params, 'category');
  if (category !== undefined) {
    const tokens = category.split(',');
    out = out.filter((observation) =>
      (observation.category ?? []).some((concept) =>
        (concept.coding ?? []).some((coding) =>
          tokens.some((token) => tokenMatches(token, coding.system, coding.code)),
        ),
      ),
    );
  }
  const dates = values(params, 'date', 2);
  const updated = values(params, '_lastUpdated', 2);
  if (dates.length > 0 && updated.length > 0) throw badSearch('date and _lastUpdated cannot be combined');
  for (const filter of dates.map((raw) => dateFilter('date', raw, false))) {
    out = out.filter((observation) => matchesDate(filter, observation.effectiveDateTime));
  }
  for (const filter of updated.map((raw) => dateFilter('_lastUpdated', raw, false))) {
    out = out.filter((observation) => matchesDate(filter, observation.meta?.lastUpdated));
  }
  // Newest first by effective time (docs/cerner.md §14); ties keep a stable id order.
  out.sort(
    (a, b) =>
      (b.effectiveDateTime ?? '').localeCompare(a.effectiveDateTime ?? '') ||
      (a.id ?? '').localeCompare(b.id ?? ''),
  );
  return { resources: out, count: pageSize(params, 50, 200) };
}

function searchPractitioners(params: URLSearchParams): SearchMatches {
  let out: Practitioner[] = [...PRACTITIONER_RESOURCES];
  const wantedIds = ids(params);
  if (wantedIds) out = out.filter((practitioner) => wantedIds.has(practitioner.id ?? ''));
  const names = filterByNames(out, params);
  if (!wantedIds && !names.used) throw noSupportedParameters();
  return { resources: names.out, count: pageSize(params, 20, 200) };
}

/** Runs a search; throws SearchError for bad requests and patient-restriction violations. */
export function searchResources(type: string, params: URLSearchParams, access: PatientAccess): SearchMatches {
  switch (type) {
    case 'Patient':
      return searchPatients(params, access);
    case 'Encounter':
      return searchEncounters(params, access);
    case 'Observation':
      return searchObservations(params, access);
    case 'Practitioner':
      return searchPractitioners(params);
    case 'Condition':
    case 'AllergyIntolerance':
    case 'MedicationRequest':
      return searchClinical(type, params, access, forbidden);
    default:
      throw badSearch(`searching ${type} is not supported`, 'not-supported');
  }
}

const BY_TYPE: Record<string, readonly Resource[]> = {
  Patient: PATIENT_RESOURCES,
  Encounter: ENCOUNTER_RESOURCES,
  Observation: OBSERVATION_RESOURCES,
  Practitioner: PRACTITIONER_RESOURCES,
  ...CLINICAL_RESOURCES,
};

export function isSupportedType(type: string): boolean {
  return Object.hasOwn(BY_TYPE, type);
}

export function readResource(type: string, id: string): Resource | undefined {
  return BY_TYPE[type]?.find((resource) => resource.id === id);
}
