/** Launches: the guide's "check the ehr_launch table", made visible. Never a token value. */

import type { Page } from '../../db/paging.ts';
import { html, type SafeHtml } from '../../html/escape.ts';
import { encodeLaunchCursor, type LaunchCursor, type LaunchRow } from '../../launch/launch-list.ts';
import { badge, environmentBadge, when } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface LaunchesView {
  viewer: Viewer;
  page: Page<LaunchRow, LaunchCursor>;
  status: string | null;
  statuses: readonly string[];
}

const TONES: Record<string, 'ok' | 'bad' | 'warn' | ''> = {
  ready: 'ok',
  failed: 'bad',
  refresh_failed: 'bad',
  pending: 'warn',
  expired: '',
  ended: '',
};

function fact(name: string, value: SafeHtml | string | null, className = ''): SafeHtml {
  return html`<div${className ? html` class="${className}"` : ''}><dt>${name}</dt><dd>${value ?? html`<span class="muted">—</span>`}</dd></div>`;
}

function held(flag: number): SafeHtml {
  return flag ? badge('held', 'ok') : badge('none');
}

function item(launch: LaunchRow): SafeHtml {
  const failed = launch.error_code || launch.ehr_error || launch.ehr_error_uri;
  return html`<li class="launch env-${launch.environment === 'production' ? 'production' : 'sandbox'}">
  <div class="launch-head">
    ${environmentBadge(launch.environment)}
    ${badge(launch.status, TONES[launch.status] ?? '')}
    <span class="times">${when(launch.created_at)}${launch.completed_at ? html` · completed ${when(launch.completed_at)}` : ''}</span>
    <a class="id mono" href="/admin/audit?launch=${launch.id}" title="Audit trail of this launch">${launch.id}</a>
  </div>
  <dl class="facts">
    ${fact('Patient', launch.patient_fhir_id && `Patient/${launch.patient_fhir_id}`)}
    ${fact('Encounter', launch.encounter_fhir_id && `Encounter/${launch.encounter_fhir_id}`)}
    ${fact('fhirUser', launch.fhir_user)}
    ${fact('Source', launch.source_name ?? html`<span class="muted">removed</span> (${launch.iss})`)}
    ${fact('Tokens', html`<span class="nowrap">access ${held(launch.has_access_token)}</span> <span class="nowrap">refresh ${held(launch.has_refresh_token)}</span>`)}
    ${fact(launch.scope ? 'Scope granted' : 'Scope requested', launch.scope ?? launch.requested_scope, 'wide')}
    ${failed ? fact('Error', html`${launch.error_code}${launch.ehr_error ? html` · EHR error <strong>${launch.ehr_error}</strong>` : ''}${launch.ehr_error_uri ? html` · error_uri ${launch.ehr_error_uri}` : ''}`, 'wide bad') : ''}
  </dl>
</li>`;
}

function pageLink(status: string | null, key: 'before' | 'after', cursor: LaunchCursor): string {
  const params = new URLSearchParams();
  if (status) params.set('status', status);
  params.set(key, encodeLaunchCursor(cursor));
  return `/admin/launches?${params}`;
}

export function launchesPage(view: LaunchesView): string {
  const { page, status } = view;
  const first = status ? `/admin/launches?status=${encodeURIComponent(status)}` : '/admin/launches';
  const count = page.rows.length;
  return consolePage({
    title: 'Launches',
    viewer: view.viewer,
    nav: 'launches',
    body: html`<div class="page-head"><div><h1>Launches</h1>
<p class="muted">Every EHR launch for ${view.viewer.orgName}, newest first. Tokens are held sealed; only whether one is held is shown.</p></div></div>
<form class="filters" method="get" action="/admin/launches" hx-get="/admin/launches" hx-trigger="change" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
  <div><label for="status">Status</label>
  <select id="status" name="status"><option value="">All statuses</option>${view.statuses.map((s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s}</option>`)}</select></div>
  <button type="submit" class="secondary">Apply</button>
</form>
<section class="card" id="results" aria-labelledby="results-heading">
  <h2 id="results-heading" class="sr-only">Launches${status ? ` with status ${status}` : ''}</h2>
  <p class="muted">${count === 0 ? 'No launches' : `${count} launch${count === 1 ? '' : 'es'}`}${status ? html` with status <strong>${status}</strong>` : ''}${page.newer ? '' : ', newest first'}.</p>
  ${
    count > 0
      ? html`<ol class="launches">${page.rows.map(item)}</ol>`
      : html`<p class="empty">No launches${status ? ` with status ${status}` : ' yet. Launch the app from the EHR (or the sandbox’s Test Sandbox page) and it appears here'}.</p>`
  }
  ${pager(first, page.newer && pageLink(status, 'after', page.newer), page.older && pageLink(status, 'before', page.older))}
</section>`,
  });
}

export function pager(first: string, newer: string | null, older: string | null): SafeHtml {
  if (!newer && !older) return html``;
  return html`<nav class="pager" aria-label="Pages">
  ${newer ? html`<span><a href="${first}">« Newest</a> · <a href="${newer}" rel="prev">‹ Newer</a></span>` : html`<span></span>`}
  <span class="spacer"></span>
  ${older ? html`<a href="${older}" rel="next">Older ›</a>` : ''}
</nav>`;
}
