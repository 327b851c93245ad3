/**
 * What the sandbox's FHIR R4 server serves, for every profile's CapabilityStatement: the resource
 * types and their search parameters (docs/cerner.md §14).
 */
import type { CapabilityStatementRestResource } from 'fhir/r4.js';

export const SUPPORTED_TYPES = [
  'Patient',
  'Encounter',
  'Observation',
  'Practitioner',
  'Condition',
  'AllergyIntolerance',
  'MedicationRequest',
] as const;
type SupportedType = (typeof SUPPORTED_TYPES)[number];

/** Resource types the sandbox serves, with the search parameters of docs/cerner.md §14. */
export const SUPPORTED_SEARCH_PARAMS: Record<SupportedType, string[]> = {
  Patient: [
    '_id',
    'identifier',
    'name',
    'family',
    'given',
    'birthdate',
    'phone',
    'email',
    'address-postalcode',
    'gender',
  ],
  Encounter: ['_id', 'patient', 'subject', 'account', 'identifier', 'date', 'status', '_count'],
  Observation: ['_id', 'patient', 'subject', 'code', 'category', 'date', '_lastUpdated', '_count'],
  Practitioner: ['_id', 'name', 'family', 'given'],
  Condition: ['_id', 'patient', 'subject', '_count'],
  AllergyIntolerance: ['_id', 'patient', '_count'],
  MedicationRequest: ['_id', 'patient', 'subject', '_count'],
};

export function restResource(type: SupportedType): CapabilityStatementRestResource {
  return {
    type,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: SUPPORTED_SEARCH_PARAMS[type].map((name) => ({
      name,
      type:
        name === 'date' || name === 'birthdate' || name === '_lastUpdated'
          ? 'date'
          : name === '_count'
            ? 'number'
            : 'token',
    })),
  };
}
