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

type Row = [string, string | null];

export async function showLaunchDebug(services: Services, mbLaunch: unknown): Promise<string> {
  if (typeof mbLaunch !== 'string' || !isUuid(mbLaunch)) {
    throw new ChartsideError('bad_request', {
      param: 'mb_launch',
      message: 'Open this page with ?mb_launch=<launch id>.',
    });
  }
  const launch = await findLaunch(services.db, mbLaunch);
  if (!launch) throw new ChartsideError('resource_not_found', { message: 'No launch with this id.' });
  const context: Row[] = [
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
    ['Created', launch.created_at],
    ['Error', launch.error_code && `${launch.error_code}${launch.ehr_error ? ` (${launch.ehr_error})` : ''}`],
  ];
  const tokens: Row[] = [
    ['Access token held', launch.access_token ? 'yes (sealed)' : 'no'],
    ['Refresh token held', launch.refresh_token ? 'yes (sealed)' : 'no'],
    ['Token expires', launch.token_expires_at],
  ];
  const facts = (rows: Row[]) =>
    html`<dl>${rows.filter(([, value]) => value !== null).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
  const ok = launch.status === 'ready';
  return page(
    'Launch debug',
    html`<p class="eyebrow">Launch debug</p>
<div class="card">
  <h1 class="${ok ? 'status-ok' : launch.status === 'failed' ? 'status-bad' : ''}">${ok ? 'Launch succeeded' : `Launch ${launch.status}`}</h1>
  <p class="muted">This is Chartside’s built-in launch-debug page. Your app resolves the same handle with
  <code>GET /launch-contexts/${launch.id}</code> and its API key.</p>
  ${facts(context)}
</div>
<div class="card">
  <h2>Tokens</h2>
  <p class="muted">Chartside keeps the EHR’s tokens sealed; apps read FHIR data through Chartside and never see them.</p>
  ${facts(tokens)}
</div>`,
  );
}
