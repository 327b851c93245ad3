/** Audit: who did what, when, for this organization. Details are shown as the writer stored them, escaped. */

import type { AuditRow } from '../../audit/audit-list.ts';
import type { Page } from '../../db/paging.ts';
import { html, type SafeHtml } from '../../html/escape.ts';
import { when } from './components.ts';
import { pager } from './launches.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface AuditView {
  viewer: Viewer;
  page: Page<AuditRow, number>;
  launch: string;
  launchError?: string;
}

const MAX_VALUE = 300;

function details(raw: string | null, requestId: string | null): SafeHtml {
  const request = requestId ? html`<dt>request</dt><dd>${requestId}</dd>` : '';
  if (!raw)
    return requestId ? html`<dl class="kv details">${request}</dl>` : html`<span class="muted">—</span>`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return html`<span class="mono">${clip(raw)}</span>`;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return html`<span class="mono">${clip(raw)}</span>`;
  const entries = Object.entries(parsed as Record<string, unknown>).filter(
    ([, value]) => value !== null && value !== '',
  );
  return html`<dl class="kv details">${entries.map(
    ([key, value]) =>
      html`<dt>${key}</dt><dd>${clip(typeof value === 'string' ? value : JSON.stringify(value))}</dd>`,
  )}${request}</dl>`;
}

function clip(value: string): string {
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
}

function row(event: AuditRow): SafeHtml {
  return html`<tr>
  <td data-label="When">${when(event.at)}</td>
  <td data-label="Action · actor"><strong class="nowrap">${event.action}</strong><span class="sub">${event.actor}</span></td>
  <td data-label="Launch">${event.launch_id ? html`<a class="mono nowrap" href="/admin/audit?launch=${event.launch_id}" title="${event.launch_id}" aria-label="Launch ${event.launch_id}">${event.launch_id.slice(0, 8)}…</a>` : html`<span class="muted">—</span>`}</td>
  <td data-label="Details">${details(event.details, event.request_id)}</td>
</tr>`;
}

function link(launch: string, key: 'before' | 'after', id: number): string {
  const params = new URLSearchParams();
  if (launch) params.set('launch', launch);
  params.set(key, String(id));
  return `/admin/audit?${params}`;
}

export function auditPage(view: AuditView): string {
  const { page, launch } = view;
  const filtered = launch && !view.launchError;
  const first = filtered ? `/admin/audit?launch=${encodeURIComponent(launch)}` : '/admin/audit';
  return consolePage({
    title: 'Audit',
    viewer: view.viewer,
    nav: 'audit',
    body: html`<div class="page-head"><div><h1>Audit</h1>
<p class="muted">Who did what and when, for ${view.viewer.orgName}: launches, FHIR reads through the proxy, settings changes and sign-ins. Newest first.</p></div></div>
<form class="filters" method="get" action="/admin/audit" hx-get="/admin/audit" hx-target="#results" hx-select="#results" hx-swap="outerHTML" hx-push-url="true">
  <div><label for="launch">Launch id</label>
  <input type="search" id="launch" name="launch" value="${launch}" placeholder="mb_launch uuid" spellcheck="false" autocomplete="off"${view.launchError ? html` aria-invalid="true" aria-describedby="launch-error"` : ''}>
  ${view.launchError ? html`<p class="error-text" id="launch-error">${view.launchError}</p>` : ''}</div>
  <button type="submit" class="secondary">Filter</button>
  ${launch ? html`<a href="/admin/audit">Show all</a>` : ''}
</form>
<section class="card" id="results" aria-live="polite">
  <div class="table-wrap"><table class="stack">
  <caption>${page.rows.length === 0 ? 'No events' : `${page.rows.length} event${page.rows.length === 1 ? '' : 's'}`}${filtered ? ' for this launch' : ''}</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Action · actor</th><th scope="col">Launch</th><th scope="col">Details</th></tr></thead>
  <tbody>${page.rows.length > 0 ? page.rows.map(row) : html`<tr><td colspan="4" class="empty">No audit events${filtered ? ' for this launch' : ' yet'}.</td></tr>`}</tbody>
  </table></div>
  ${pager(first, page.newer !== null ? link(filtered ? launch : '', 'after', page.newer) : null, page.older !== null ? link(filtered ? launch : '', 'before', page.older) : null)}
</section>`,
  });
}
