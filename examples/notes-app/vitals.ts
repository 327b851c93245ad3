/**
 * The latest reading of each vital sign, from a patient's `vital-signs` Observations. Codes are
 * LOINC (the FHIR R4 vital signs profile); a blood pressure is one panel with systolic and
 * diastolic components.
 * @see http://hl7.org/fhir/R4/observation-vitalsigns.html
 */
import type { Observation } from 'fhir/r4.js';

export interface LatestVital {
  readonly code: string;
  readonly label: string;
  /** Formatted with its unit: `146/90 mmHg`, `78 bpm`. */
  readonly value: string;
  /** When it was taken (ISO 8601), if the Observation says. */
  readonly at: string | null;
}

const LOINC = 'http://loinc.org';
const BLOOD_PRESSURE = '85354-9';
const SYSTOLIC = '8480-6';
const DIASTOLIC = '8462-4';

/** The order a chart shows them in, with their usual labels. */
const KNOWN: readonly (readonly [code: string, label: string])[] = [
  [BLOOD_PRESSURE, 'Blood pressure'],
  ['8867-4', 'Heart rate'],
  ['9279-1', 'Respiratory rate'],
  ['8310-5', 'Temperature'],
  ['59408-5', 'SpO₂'],
  ['2708-6', 'SpO₂'],
  ['29463-7', 'Weight'],
  ['8302-2', 'Height'],
  ['39156-5', 'BMI'],
];

export function latestVitals(observations: readonly Observation[]): LatestVital[] {
  const latest = new Map<string, { observation: Observation; at: string | null }>();
  for (const observation of observations) {
    if (observation.status === 'entered-in-error' || observation.status === 'cancelled') continue;
    const code = loincOf(observation) ?? observation.code.text;
    if (!code) continue;
    const at = takenAt(observation);
    const held = latest.get(code);
    if (!held || (at !== null && (held.at === null || Date.parse(at) > Date.parse(held.at)))) {
      latest.set(code, { observation, at });
    }
  }
  const rank = (code: string) => {
    const index = KNOWN.findIndex(([known]) => known === code);
    return index === -1 ? KNOWN.length : index;
  };
  return [...latest.entries()]
    .map(([code, { observation, at }]) => ({
      code,
      label: KNOWN.find(([known]) => known === code)?.[1] ?? observation.code.text ?? code,
      value: readingOf(observation),
      at,
    }))
    .sort((a, b) => rank(a.code) - rank(b.code) || a.label.localeCompare(b.label));
}

function loincOf(observation: Observation): string | undefined {
  return observation.code.coding?.find((coding) => coding.system === LOINC)?.code;
}

function takenAt(observation: Observation): string | null {
  return observation.effectiveDateTime ?? observation.effectivePeriod?.start ?? observation.issued ?? null;
}

function readingOf(observation: Observation): string {
  if (loincOf(observation) === BLOOD_PRESSURE) {
    const part = (code: string) =>
      observation.component?.find((c) => c.code.coding?.some((coding) => coding.code === code))
        ?.valueQuantity;
    const systolic = part(SYSTOLIC);
    const diastolic = part(DIASTOLIC);
    if (systolic?.value !== undefined && diastolic?.value !== undefined) {
      return `${systolic.value}/${diastolic.value} ${systolic.unit ?? 'mmHg'}`;
    }
  }
  const quantity = observation.valueQuantity;
  if (quantity?.value !== undefined)
    return `${quantity.value} ${quantity.unit ?? quantity.code ?? ''}`.trim();
  return observation.valueString ?? observation.valueCodeableConcept?.text ?? '—';
}
