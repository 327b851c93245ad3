/**
 * `/launch-debug?mb_launch=…` — the dev seed's App launch URL. It resolves the handle
 * server-side, as an app backend would, and shows the launch context (never a token), so the
 * guide's "Not Found" placeholder becomes a page that proves the launch worked.
 */
import { ChartsideError } from '../errors/catalogue.ts';
import { html } from '../html/escape.ts';
import { page } from '../html/page.ts';
import type { Services } from '../services.ts';
import { findLaunch } from './ehr-launches.ts';
import { isUuid } from './uuid.ts';

export async function showLaunchDebug(services: Services, mbLaunch: unknown): Promise<string> {
  if (typeof mbLaunch !== 'string' || !isUuid(mbLaunch)) {
    throw new ChartsideError('bad_request', {
      param: 'mb_launch',
      message: 'Open this page with ?mb_launch=<launch id>.',
    });
  }
  const launch = await findLaunch(services.db, mbLaunch);
  if (!launch) throw new ChartsideError('resource_not_found', { message: 'No launch with this id.' });
  const rows: [string, string | null][] = [
    ['mb_launch', launch.id],
    ['Status', launch.status],
    ['Patient', launch.patient_fhir_id && `Patient/${launch.patient_fhir_id}`],
    ['Encounter', launch.encounter_fhir_id && `Encounter/${launch.encounter_fhir_id}`],
    ['fhirUser', launch.fhir_user],
    ['Scope granted', launch.scope],
    ['FHIR base URL (iss)', launch.iss],
    ['Tenant', launch.tenant],
    [
      'Patient banner needed',
      launch.need_patient_banner === null ? null : launch.need_patient_banner ? 'yes' : 'no',
    ],
    ['Access token held', launch.access_token ? 'yes (sealed)' : 'no'],
    ['Refresh token held', launch.refresh_token ? 'yes (sealed)' : 'no'],
    ['Token expires', launch.token_expires_at],
    ['Created', launch.created_at],
    ['Error', launch.error_code && `${launch.error_code}${launch.ehr_error ? ` (${launch.ehr_error})` : ''}`],
  ];
  return page(
    'Launch debug',
    html`<div class="card">
  <h1>${launch.status === 'ready' ? 'Launch succeeded' : `Launch ${launch.status}`}</h1>
  <p class="muted">This is Chartside’s built-in launch-debug page. Your app resolves the same handle with
  <code>GET /launch-contexts/${launch.id}</code> and its API key.</p>
  <dl>${rows.filter(([, value]) => value !== null).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
</div>`,
  );
}
