import type { GoLiveCheckName, GoLiveReport } from '../../go-live/checks.ts';
import { html, type SafeHtml } from '../../html/escape.ts';
import { VENDOR_LABELS, VENDORS, type Vendor } from '../../settings/fhir-sources.ts';
import { VENDOR_PRODUCTS } from '../connection-status.ts';
import type { Flash } from '../sessions.ts';
import { badge, csrfField } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface ConnectionSummary {
  vendor: Vendor;
  saved: boolean;
  blockers: number;
  clientId: string | null;
}

export function connectionsPage(
  viewer: Viewer,
  summaries: ConnectionSummary[],
  flash?: Flash | null,
): string {
  const byVendor = new Map(summaries.map((s) => [s.vendor, s]));
  const rows = VENDORS.map((vendor) => {
    const summary = byVendor.get(vendor);
    const state = !summary?.saved
      ? badge('Not configured')
      : summary.blockers > 0
        ? badge('Needs attention', 'warn')
        : badge('Ready', 'ok');
    return html`<tr>
  <td><a href="/admin/settings/connections/${vendor}"><strong>${VENDOR_LABELS[vendor]}</strong></a><span class="sub">Clinical Workflow · ${VENDOR_PRODUCTS[vendor]}</span></td>
  <td data-label="Status">${state}</td>
  <td data-label="Client ID" class="mono">${summary?.clientId ?? html`<span class="muted">—</span>`}</td>
</tr>`;
  });
  return consolePage({
    title: 'Connections',
    viewer,
    nav: 'connections',
    crumbs: [['Settings', '/admin/settings']],
    flash,
    body: html`<div class="page-head"><div><h1>Connections</h1>
<p class="muted">One Clinical Workflow connection per EHR: how clinicians launch your app from the chart.</p></div></div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">EHR</th><th scope="col">Status</th><th scope="col">Client ID</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`,
  });
}

export interface SettingsOverview {
  connectionsReady: number;
  sources: number;
  activeKeys: number;
  signingKeys: number;
  /** The organization the page shows ('' for a platform admin before any organization exists). */
  orgId: string;
  /** The go-live check's result, after "Run go-live check"; null: not run on this page. */
  goLive: GoLiveReport | null;
}

export function settingsPage(viewer: Viewer, overview: SettingsOverview): string {
  const tile = (href: string, title: string, text: string, state: string) =>
    html`<a class="tile" href="${href}"><strong>${title}</strong><span>${text}</span><br>${badge(state, 'info')}</a>`;
  return consolePage({
    title: 'Settings',
    viewer,
    nav: 'settings',
    body: html`<div class="page-head"><div><h1>Settings</h1><p class="muted">${viewer.orgName}</p></div></div>
<div class="tiles">
  ${tile('/admin/settings/connections', 'Connections', 'Cerner and other EHRs: launch URLs, credentials, scopes.', `${overview.connectionsReady} ready`)}
  ${tile('/admin/settings/fhir-sources', 'FHIR sources', 'The EHR FHIR base URLs (iss) launches may come from.', `${overview.sources} registered`)}
  ${tile('/admin/settings/api-keys', 'API keys', 'Keys your app’s backend uses to resolve launches.', `${overview.activeKeys} active`)}
  ${tile('/admin/settings/signing-keys', 'Signing keys', 'Chartside’s public keys (JWKS) for JWT client assertions.', `${overview.signingKeys} published`)}
</div>
${goLiveCard(viewer, overview)}`,
  });
}

const CHECK_LABELS: Record<GoLiveCheckName, string> = {
  public_url_https: 'PUBLIC_URL uses https',
  public_url_answers: 'The gateway answers at PUBLIC_URL',
  jwks_reachable: 'Our JWKS is reachable',
  production_sources_discovery: 'Production EHRs answer SMART discovery',
  production_credentials: 'Production credentials',
  app_launch_url: 'App launch URL',
  launch_uri: 'Launch URI to register',
};

/**
 * The guide's "Going to Production", checked. Not run when the page loads: it calls PUBLIC_URL
 * and every production EHR, which can take seconds; the button posts (htmx swaps the card in
 * place) and the answer renders here directly.
 */
function goLiveCard(viewer: Viewer, overview: SettingsOverview): SafeHtml {
  const action = '/admin/settings/go-live';
  const report = overview.goLive;
  const passed = report?.checks.filter((check) => check.ok).length ?? 0;
  const rows = (report?.checks ?? []).map(
    (check) => html`<tr>
  <td><strong>${CHECK_LABELS[check.name]}</strong><span class="sub mono">${check.name}</span></td>
  <td data-label="Result">${check.ok ? badge('Pass', 'ok') : badge('Fail', 'bad')}</td>
  <td data-label="Detail">${check.detail}</td>
</tr>`,
  );
  return html`<section class="card" id="go-live" aria-labelledby="go-live-heading">
  <div class="page-head"><div><h2 id="go-live-heading">Go-live checklist</h2>
    <p class="muted">Before real patients: PUBLIC_URL, our JWKS, this organization’s production EHRs, credentials and launch URLs. Takes a few seconds. Same checks as <code>chartside doctor --org ${overview.orgId || 'ID'}</code>.</p></div>
    ${
      overview.orgId
        ? html`<form method="post" action="${action}" hx-post="${action}" hx-target="#go-live" hx-select="#go-live" hx-swap="outerHTML">
      ${csrfField(viewer.csrfToken)}<button type="submit" class="secondary small">Run go-live check</button>
    </form>`
        : ''
    }</div>
  ${
    !overview.orgId
      ? html`<p class="muted">No organization yet: create one under Organizations first.</p>`
      : !report
        ? html`<p class="muted">Not run yet.</p>`
        : html`${report.ok ? html`<div class="notice ok" role="status">All ${passed} checks pass: ready for production.</div>` : html`<div class="notice bad" role="alert"><strong>Not ready for production.</strong> ${passed} of ${report.checks.length} checks pass.</div>`}
  <div class="table-wrap"><table class="stack">
  <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
  <tbody>${rows}</tbody></table></div>`
  }
</section>`;
}
