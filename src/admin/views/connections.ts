import { html } from '../../html/escape.ts';
import { VENDORS, type Vendor } from '../../settings/fhir-sources.ts';
import { VENDOR_LABELS, VENDOR_PRODUCTS } from '../connection-status.ts';
import type { Flash } from '../sessions.ts';
import { badge } from './components.ts';
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
</div>`,
  });
}
