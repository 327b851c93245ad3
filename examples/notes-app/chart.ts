/**
 * What the app reads for one launch, server-side, with the typed client: the launch context, then
 * (side by side) the patient, the encounter and the vital signs, all through Chartside's FHIR
 * proxy. The app never sees an EHR token.
 */
import type { Encounter, Observation, Patient } from 'fhir/r4.js';
import {
  type Chartside,
  isChartsideApiError,
  type LaunchContext,
  referenceId,
} from '../../packages/client/src/index.ts';
import { type LatestVital, latestVitals } from './vitals.ts';

/** More vital signs than a chart shows: enough for "the last of each", bounded. */
const MAX_OBSERVATIONS = 500;

export interface Chart {
  readonly context: LaunchContext;
  readonly patient: Patient | null;
  readonly encounter: Encounter | null;
  readonly vitals: readonly LatestVital[] | { readonly error: string };
}

/** The launch is not (or no longer) usable: its status says why. */
export class LaunchNotReady extends Error {
  constructor(readonly status: string) {
    super(`launch is ${status}`);
  }
}

export async function loadChart(chartside: Chartside, launchId: string): Promise<Chart> {
  const context = await chartside.getLaunchContext(launchId);
  if (context.status !== 'ready') throw new LaunchNotReady(context.status);
  const fhir = chartside.fhir(context.id);
  const patientId = referenceId(context.patient);
  const encounterId = referenceId(context.encounter);
  const [patient, encounter, vitals] = await Promise.all([
    patientId ? fhir.read('Patient', patientId) : null,
    encounterId ? fhir.read('Encounter', encounterId) : null,
    patientId ? readVitals(chartside, context.id, patientId) : [],
  ]);
  return { context, patient, encounter, vitals };
}

async function readVitals(
  chartside: Chartside,
  launchId: string,
  patientId: string,
): Promise<readonly LatestVital[] | { error: string }> {
  const observations: Observation[] = [];
  try {
    const search = { patient: patientId, category: 'vital-signs', _count: 100 };
    for await (const observation of chartside.fhir(launchId).searchAll('Observation', search)) {
      observations.push(observation);
      if (observations.length >= MAX_OBSERVATIONS) break;
    }
  } catch (error) {
    // A chart without vitals is still useful (the EHR may not have granted Observation access).
    if (isChartsideApiError(error)) return { error: error.code };
    throw error;
  }
  return latestVitals(observations);
}
