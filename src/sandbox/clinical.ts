/**
 * The rest of a provider app's usual reads, so every row of the Code Console's API Access table
 * has data behind it: Conditions, AllergyIntolerances and MedicationRequests of the synthetic
 * patients (local inventions matching each patient's description in data.ts), and their search
 * by patient (Cerner requires `patient`, or `_id`; docs/cerner.md §14 for the shared rules).
 */
import type { AllergyIntolerance, Condition, MedicationRequest, Resource } from 'fhir/r4.js';
import { FIXTURE_LAST_UPDATED, FIXTURE_VERSION } from './data.ts';
import { badSearch, noSupportedParameters, pageSize, single, targetPatient } from './fhir-query.ts';

const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const meta = () => ({ versionId: FIXTURE_VERSION, lastUpdated: FIXTURE_LAST_UPDATED });

function condition(id: string, patient: string, code: string, text: string, onset: string): Condition {
  return {
    resourceType: 'Condition',
    id,
    meta: meta(),
    clinicalStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
    },
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' },
        ],
      },
    ],
    code: { coding: [{ system: SNOMED, code, display: text }], text },
    subject: { reference: `Patient/${patient}` },
    onsetDateTime: onset,
  };
}

function allergy(id: string, patient: string, code: string, text: string): AllergyIntolerance {
  return {
    resourceType: 'AllergyIntolerance',
    id,
    meta: meta(),
    clinicalStatus: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
      ],
    },
    code: { coding: [{ system: SNOMED, code, display: text }], text },
    patient: { reference: `Patient/${patient}` },
  };
}

function medication(
  id: string,
  patient: string,
  code: string,
  text: string,
  authored: string,
): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    meta: meta(),
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code, display: text }], text },
    subject: { reference: `Patient/${patient}` },
    authoredOn: authored,
  };
}

export const CONDITION_RESOURCES: readonly Condition[] = [
  condition('c-12724065-1', '12724065', '38341003', 'Essential hypertension', '2019-04-02'),
  condition('c-12724066-1', '12724066', '77386006', 'Pregnancy', '2025-01-20'),
  condition('c-12724069-1', '12724069', '195967001', 'Asthma', '2016-09-12'),
  condition('c-12724070-1', '12724070', '233604007', 'Pneumonia', '2025-05-29'),
];

export const ALLERGY_RESOURCES: readonly AllergyIntolerance[] = [
  allergy('a-12724065-1', '12724065', '91936005', 'Allergy to penicillin'),
  allergy('a-12724068-1', '12724068', '91935009', 'Allergy to peanuts'),
  allergy('a-12724069-1', '12724069', '418689008', 'Allergy to grass pollen'),
];

export const MEDICATION_REQUEST_RESOURCES: readonly MedicationRequest[] = [
  medication('m-12724065-1', '12724065', '314076', 'lisinopril 10 MG Oral Tablet', '2025-05-12'),
  medication('m-12724066-1', '12724066', '1000126', 'Prenatal multivitamin', '2025-05-20'),
  medication('m-12724069-1', '12724069', '745679', 'albuterol 90 MCG/ACTUAT inhaler', '2025-05-28'),
];

export const CLINICAL_RESOURCES: Readonly<Record<string, readonly Resource[]>> = {
  Condition: CONDITION_RESOURCES,
  AllergyIntolerance: ALLERGY_RESOURCES,
  MedicationRequest: MEDICATION_REQUEST_RESOURCES,
};

/** The patient a clinical resource belongs to (AllergyIntolerance says `patient`, the others `subject`). */
export function clinicalPatientOf(resource: Resource): string | undefined {
  const reference =
    resource.resourceType === 'AllergyIntolerance'
      ? (resource as AllergyIntolerance).patient.reference
      : (resource as Condition | MedicationRequest).subject?.reference;
  return reference?.startsWith('Patient/') ? reference.slice('Patient/'.length) : undefined;
}

/**
 * Search by `_id` (alone) or by patient. `patientOnly`: the token's patient/ scopes reach only
 * `patientId` (S7); `forbidden` is what the caller answers then.
 */
export function searchClinical(
  type: string,
  params: URLSearchParams,
  access: { patientOnly: boolean; patientId: string | undefined },
  forbidden: () => Error,
): { resources: Resource[]; count: number } {
  const all = CLINICAL_RESOURCES[type] ?? [];
  const ids = single(params, '_id');
  if (ids !== undefined) {
    if ([...params.keys()].some((name) => name !== '_id')) throw badSearch('_id must be used alone');
    const wanted = new Set(ids.split(','));
    const found = all.filter((resource) => wanted.has(resource.id ?? ''));
    if (access.patientOnly && found.some((resource) => clinicalPatientOf(resource) !== access.patientId))
      throw forbidden();
    return { resources: found, count: 20 };
  }
  const patient = targetPatient(params);
  if (patient === undefined) throw noSupportedParameters();
  if (access.patientOnly && patient !== access.patientId) throw forbidden();
  return {
    resources: all.filter((resource) => clinicalPatientOf(resource) === patient),
    count: pageSize(params, 20, 200),
  };
}
