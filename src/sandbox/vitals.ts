/**
 * Vital-sign Observations of the sandbox patients. Cerner prefixes vital-sign Observation ids
 * with `VS-` (docs/cerner.md §10); codes are LOINC, category `vital-signs`. A blood pressure is
 * one panel (85354-9) with systolic/diastolic components, which Cerner's `code` search matches
 * only by the panel code (docs/cerner.md §14).
 */
import type { Observation } from 'fhir/r4.js';
import { FIXTURE_LAST_UPDATED, FIXTURE_VERSION, PATIENTS, type SandboxPatient } from './data.ts';

type VitalKind = 'bp' | 'hr' | 'rr' | 'temp' | 'spo2' | 'weight' | 'height';

interface VitalDefinition {
  code: string;
  display: string;
  text: string;
  unit: string;
  ucum: string;
}

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

const VITALS: Record<VitalKind, VitalDefinition> = {
  bp: {
    code: '85354-9',
    display: 'Blood pressure panel',
    text: 'Blood Pressure',
    unit: 'mmHg',
    ucum: 'mm[Hg]',
  },
  hr: { code: '8867-4', display: 'Heart rate', text: 'Heart Rate', unit: 'bpm', ucum: '/min' },
  rr: { code: '9279-1', display: 'Respiratory rate', text: 'Respiratory Rate', unit: 'br/min', ucum: '/min' },
  temp: { code: '8310-5', display: 'Body temperature', text: 'Temperature', unit: 'DegC', ucum: 'Cel' },
  spo2: {
    code: '59408-5',
    display: 'Oxygen saturation in Arterial blood by Pulse oximetry',
    text: 'SpO2',
    unit: '%',
    ucum: '%',
  },
  weight: { code: '29463-7', display: 'Body weight', text: 'Weight Measured', unit: 'kg', ucum: 'kg' },
  height: { code: '8302-2', display: 'Body height', text: 'Height/Length Measured', unit: 'cm', ucum: 'cm' },
};

/** A value as charted: a number, or [systolic, diastolic] for a blood pressure. */
type VitalValue = number | readonly [number, number];

/** Vital signs charted together, `hour` hours after the encounter start, in charting order. */
type ChartedVitals = { hour: number } & Partial<Record<VitalKind, VitalValue>>;

/** Each patient's charted vital signs during the sandbox encounter. */
const CHARTED: Record<string, readonly ChartedVitals[]> = {
  '12724065': [
    { hour: 0, bp: [152, 94], hr: 78, weight: 71.2 },
    { hour: 0.5, bp: [146, 90] },
  ],
  '12724066': [{ hour: 0, bp: [118, 76], hr: 84, weight: 68.4 }],
  '12724067': [{ hour: 0, bp: [124, 80], hr: 66, rr: 14, temp: 36.8, spo2: 98, weight: 84.1, height: 180.3 }],
  '12724068': [{ hour: 0, height: 165.1, weight: 58.0, hr: 58 }],
  '12724069': [
    { hour: 0, rr: 32, spo2: 91 },
    { hour: 1, rr: 26, spo2: 95 },
  ],
  '12724070': [
    { hour: 0, bp: [98, 58], hr: 112, rr: 24, temp: 38.4, spo2: 92 },
    { hour: 4, hr: 104, spo2: 94, temp: 37.9 },
  ],
  '12724071': [
    { hour: 0, temp: 39.1, hr: 102 },
    { hour: 2, temp: 38.3 },
  ],
  '12742399': [{ hour: 0, height: 102.4, weight: 16.3, temp: 36.7 }],
  '12742397': [{ hour: 0, weight: 14.2, height: 96.5, hr: 104, temp: 36.9 }],
  '12742400': [
    { hour: 0, bp: [136, 88], hr: 88, rr: 18, temp: 37.2, spo2: 96 },
    { hour: 8, bp: [130, 84], hr: 82, temp: 37.0 },
    { hour: 24, bp: [128, 82], hr: 76, spo2: 97 },
    { hour: 32, temp: 36.8 },
  ],
};

/** Ids are sequential; VS-197292857 (a documented Cerner sandbox id) falls inside the range. */
const FIRST_ID = 197292820;

function quantity(value: number, vital: VitalDefinition) {
  return { value, unit: vital.unit, system: UCUM, code: vital.ucum };
}

function observation(
  id: number,
  patient: SandboxPatient,
  hour: number,
  kind: VitalKind,
  value: VitalValue,
): Observation {
  const vital = VITALS[kind];
  const effective = new Date(Date.parse(patient.encounterStart) + hour * 3_600_000).toISOString();
  const resource: Observation = {
    resourceType: 'Observation',
    id: `VS-${id}`,
    meta: { versionId: FIXTURE_VERSION, lastUpdated: FIXTURE_LAST_UPDATED },
    status: 'final',
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/observation-category',
            code: 'vital-signs',
            display: 'Vital Signs',
          },
        ],
        text: 'Vital Signs',
      },
    ],
    code: { coding: [{ system: LOINC, code: vital.code, display: vital.display }], text: vital.text },
    subject: { reference: `Patient/${patient.id}`, display: `${patient.family}, ${patient.given}` },
    encounter: { reference: `Encounter/${patient.encounterId}` },
    effectiveDateTime: effective,
    issued: effective,
  };
  if (typeof value === 'number') {
    resource.valueQuantity = quantity(value, vital);
  } else {
    resource.component = [
      {
        code: {
          coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }],
          text: 'Systolic',
        },
        valueQuantity: quantity(value[0], vital),
      },
      {
        code: {
          coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }],
          text: 'Diastolic',
        },
        valueQuantity: quantity(value[1], vital),
      },
    ];
  }
  return resource;
}

function buildObservations(): Observation[] {
  const out: Observation[] = [];
  let id = FIRST_ID;
  for (const patient of PATIENTS) {
    for (const { hour, ...vitals } of CHARTED[patient.id] ?? []) {
      for (const [kind, value] of Object.entries(vitals) as [VitalKind, VitalValue][]) {
        out.push(observation(id, patient, hour, kind, value));
        id += 1;
      }
    }
  }
  return out;
}

export const OBSERVATION_RESOURCES: readonly Observation[] = buildObservations();
