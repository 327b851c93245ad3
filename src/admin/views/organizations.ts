/** Organizations: each with its linked FHIR sources (the guide's "the customer's org points at that tenant"). */
import { html } from '../../html/escape.ts';
import type { FhirSource } from '../../settings/fhir-sources.ts';
import type { Organization } from '../../settings/organizations.ts';
import type { Flash } from '../sessions.ts';
import { badge, csrfField, environmentBadge, when } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface OrganizationRow {
  org: Organization;
  sources: FhirSource[];
}

export function organizationsPage(
  viewer: Viewer & { orgId: string },
  rows: OrganizationRow[],
  flash?: Flash | null,
): string {
  const body = rows.map(({ org, sources }) => {
    const viewing = org.id === viewer.orgId;
    return html`<tr id="org-${org.id}">
  <td><strong>${org.name}</strong><span class="sub mono">${org.id}</span><span class="sub">${when(org.created_at)}</span></td>
  <td data-label="Linked FHIR sources">${
    sources.length > 0
      ? html`<ul class="plain">${sources.map((source) => html`<li>${environmentBadge(source.environment)} <a href="/admin/settings/fhir-sources/${source.id}">${source.name}</a> <span class="sub mono">${source.fhir_base_url}</span></li>`)}</ul>`
      : html`<span class="muted">None: its launches are refused.</span>`
  }</td>
  <td>${
    viewing
      ? badge('Showing', 'ok')
      : html`<form method="post" action="/admin/organizations/${org.id}/view">${csrfField(viewer.csrfToken)}<button type="submit" class="secondary small" aria-label="View ${org.name}">View</button></form>`
  }</td>
</tr>`;
  });
  return consolePage({
    title: 'Organizations',
    viewer,
    nav: 'organizations',
    flash,
    body: html`<div class="page-head"><div><h1>Organizations</h1>
<p class="muted">Each organization launches only against the FHIR sources linked to it. Link a source on its page under Settings → FHIR sources, or with <code>chartside org link --org ORG --source SRC</code>.</p></div></div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Organization</th><th scope="col">Linked FHIR sources</th><th scope="col"><span class="sr-only">View</span></th></tr></thead>
<tbody>${body.length > 0 ? body : html`<tr><td colspan="3" class="empty">No organizations yet: chartside org create --name NAME.</td></tr>`}</tbody>
</table></div></section>`,
  });
}
