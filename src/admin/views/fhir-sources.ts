/** Settings → FHIR sources: the list, the add form, and a source's page with its discovery. */
import { html, type SafeHtml } from '../../html/escape.ts';
import type { FhirSource } from '../../settings/fhir-sources.ts';
import { VENDOR_LABELS } from '../../settings/fhir-sources.ts';
import type { Organization } from '../../settings/organizations.ts';
import type { SmartConfiguration } from '../../smart/discovery.ts';
import type { Flash } from '../sessions.ts';
import {
  badge,
  csrfField,
  environmentBadge,
  radioField,
  selectField,
  textField,
  when,
} from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface SourceFormValues {
  vendor: string;
  name: string;
  fhir_base_url: string;
  environment: string;
}

export type SourceErrors = Partial<Record<keyof SourceFormValues, string>>;

const CRUMBS = [
  ['Settings', '/admin/settings'],
  ['FHIR sources', '/admin/settings/fhir-sources'],
] as const;

export interface SourceList {
  sources: FhirSource[];
  /** Platform admins: source id → linked org ids. null for an org operator (linked sources only). */
  links: Map<string, string[]> | null;
}

export function sourcesPage(viewer: Viewer, list: SourceList, flash?: Flash | null): string {
  const admin = list.links !== null;
  const rows = list.sources.map(
    (source) => html`<tr>
  <td><a href="/admin/settings/fhir-sources/${source.id}"><strong>${source.name}</strong></a><span class="sub mono">${source.id}</span></td>
  <td data-label="Vendor">${VENDOR_LABELS[source.vendor as keyof typeof VENDOR_LABELS] ?? source.vendor}</td>
  <td data-label="Environment">${environmentBadge(source.environment)}</td>
  <td data-label="FHIR base URL (iss)" class="mono">${source.fhir_base_url}</td>
  ${admin ? html`<td data-label="Linked organizations" class="mono">${(list.links?.get(source.id) ?? []).join(', ') || html`<span class="muted">none</span>`}</td>` : ''}
  <td data-label="Discovery">${source.discovered_at ? html`${badge('Discovered', 'ok')}<span class="sub">${when(source.discovered_at)}</span>` : badge('Not yet')}</td>
</tr>`,
  );
  const columns = admin ? 6 : 5;
  const intro = admin
    ? html`The FHIR base URLs launches come from: the <code>iss</code> an EHR sends must be registered here, and linked to the organization whose Launch URI it opens. A production source belongs to one organization; a sandbox source may be shared.`
    : html`The EHR tenants linked to ${viewer.orgName}: launches from any other <code>iss</code> are refused. A platform admin adds and links sources.`;
  return consolePage({
    title: 'FHIR sources',
    viewer,
    nav: 'fhir-sources',
    crumbs: [CRUMBS[0]],
    flash,
    body: html`<div class="page-head"><div><h1>FHIR sources</h1>
<p class="muted">${intro}</p></div>
${admin ? html`<a class="button" href="/admin/settings/fhir-sources/new">Add a FHIR source</a>` : ''}</div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Name</th><th scope="col">Vendor</th><th scope="col">Environment</th><th scope="col">FHIR base URL (iss)</th>${admin ? html`<th scope="col">Linked organizations</th>` : ''}<th scope="col">Discovery</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="${columns}" class="empty">${admin ? 'No FHIR sources yet. Add the EHR’s FHIR base URL to accept its launches.' : 'No FHIR source is linked to this organization yet, so no launch can start. Ask a platform admin to link your EHR tenant.'}</td></tr>`}</tbody>
</table></div></section>`,
  });
}

function sourceFields(values: SourceFormValues, errors: SourceErrors): SafeHtml {
  return html`${selectField({
    name: 'vendor',
    label: 'Vendor',
    value: values.vendor,
    options: [
      { value: 'cerner', label: 'Cerner (Oracle Health)' },
      { value: 'epic', label: 'Epic' },
      { value: 'smart', label: 'SMART (generic)' },
    ],
    error: errors.vendor,
  })}
  ${textField({
    name: 'name',
    label: 'Name',
    value: values.name,
    placeholder: 'Cerner code sandbox',
    hint: 'How this source is shown here. Defaults to the URL’s host.',
    error: errors.name,
  })}
  ${textField({
    name: 'fhir_base_url',
    label: 'FHIR base URL',
    type: 'url',
    value: values.fhir_base_url,
    placeholder: 'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d',
    hint: 'Exactly the iss the EHR sends. https; http only for a sandbox on this machine.',
    error: errors.fhir_base_url,
    spellcheck: false,
  })}
  ${radioField({
    name: 'environment',
    label: 'Environment',
    value: values.environment,
    options: [
      { value: 'sandbox', label: 'Sandbox' },
      { value: 'production', label: 'Production' },
    ],
    error: errors.environment,
  })}`;
}

export function newSourcePage(viewer: Viewer, values: SourceFormValues, errors: SourceErrors): string {
  return consolePage({
    title: 'Add a FHIR source',
    viewer,
    nav: 'fhir-sources',
    crumbs: CRUMBS,
    body: html`<div class="page-head"><div><h1>Add a FHIR source</h1>
<p class="muted">Chartside reads the source’s SMART configuration right away and shows what it found.</p></div></div>
${errorSummary(errors)}
<form method="post" action="/admin/settings/fhir-sources" novalidate>
  ${csrfField(viewer.csrfToken)}
  <section class="card">${sourceFields(values, errors)}</section>
  <div class="actions"><button type="submit">Add and discover</button><a href="/admin/settings/fhir-sources">Cancel</a></div>
</form>`,
  });
}

export interface SourceView {
  viewer: Viewer;
  source: FhirSource;
  values: SourceFormValues;
  errors: SourceErrors;
  discovery: SmartConfiguration | null;
  /** Platform admins edit; org operators read. */
  editable: boolean;
  /** Platform admins: the organizations linked, and those that could be. */
  links: SourceLinks | null;
  flash?: Flash | null;
}

export interface SourceLinks {
  linked: readonly Organization[];
  linkable: readonly Organization[];
}

export function sourcePage(view: SourceView): string {
  const { source } = view;
  const production = source.environment === 'production';
  return consolePage({
    title: source.name,
    viewer: view.viewer,
    nav: 'fhir-sources',
    crumbs: CRUMBS,
    flash: view.flash,
    body: html`<div class="env-banner ${production ? 'production' : 'sandbox'}" id="environment-banner">${environmentBadge(source.environment)} ${production ? 'A production tenant: real patients’ data.' : 'A sandbox tenant: synthetic test patients.'}</div>
<div class="page-head"><div><p class="eyebrow">FHIR source</p><h1>${source.name}</h1>
<p class="muted mono">${source.id}</p></div></div>
${discoveryPanel(view)}
${view.links ? linksPanel(view, view.links) : ''}
${view.editable ? editForm(view) : readOnlySource(view)}`,
  });
}

function readOnlySource(view: SourceView): SafeHtml {
  const { source } = view;
  return html`<section class="card" aria-labelledby="details-heading"><h2 id="details-heading">Details</h2>
  <dl class="kv">
    <dt>Vendor</dt><dd>${VENDOR_LABELS[source.vendor as keyof typeof VENDOR_LABELS] ?? source.vendor}</dd>
    <dt>FHIR base URL (iss)</dt><dd class="mono">${source.fhir_base_url}</dd>
    <dt>Environment</dt><dd>${environmentBadge(source.environment)}</dd>
  </dl>
  <p class="muted">Only a platform admin can change a FHIR source.</p>
</section>
<div class="actions"><a href="/admin/settings/fhir-sources">Back to FHIR sources</a></div>`;
}

function editForm(view: SourceView): SafeHtml {
  const { source } = view;
  return html`${errorSummary(view.errors)}
<form method="post" action="/admin/settings/fhir-sources/${source.id}" novalidate>
  ${csrfField(view.viewer.csrfToken)}
  <section class="card" aria-labelledby="edit-heading"><h2 id="edit-heading">Edit</h2>
    <p class="lead">Changing the base URL or environment discovers again. Launches already made keep their record and their environment.</p>
    ${sourceFields(view.values, view.errors)}
  </section>
  <div class="actions"><button type="submit">Save</button><a href="/admin/settings/fhir-sources">Back to FHIR sources</a></div>
</form>`;
}

function linksPanel(view: SourceView, links: SourceLinks): SafeHtml {
  const { source } = view;
  const base = `/admin/settings/fhir-sources/${source.id}/links`;
  const rows = links.linked.map(
    (org) => html`<tr><td><strong>${org.name}</strong><span class="sub mono">${org.id}</span></td>
  <td><form method="post" action="${base}/${org.id}/unlink">${csrfField(view.viewer.csrfToken)}<button type="submit" class="secondary small" aria-label="Unlink ${org.name}">Unlink</button></form></td></tr>`,
  );
  const rule =
    source.environment === 'production'
      ? 'A production source belongs to one organization.'
      : 'A sandbox source may be linked to several organizations.';
  const form =
    links.linkable.length > 0
      ? html`<form method="post" action="${base}" class="inline-form">${csrfField(view.viewer.csrfToken)}
  <label for="link-org">Link an organization</label>
  <select id="link-org" name="org_id">${links.linkable.map((org) => html`<option value="${org.id}">${org.name} (${org.id})</option>`)}</select>
  <button type="submit">Link</button></form>`
      : html`<p class="muted">${source.environment === 'production' && links.linked.length > 0 ? 'Unlink the organization first to give this tenant to another one.' : 'Every organization is linked.'}</p>`;
  return html`<section class="card" id="links" aria-labelledby="links-heading"><h2 id="links-heading">Linked organizations</h2>
  <p class="muted">Launches from this iss are accepted only through a linked organization’s Launch URI. ${rule}</p>
  <table><thead><tr><th scope="col">Organization</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
  <tbody>${rows.length > 0 ? rows : html`<tr><td colspan="2" class="empty">Not linked to any organization: every launch from it is refused.</td></tr>`}</tbody></table>
  ${form}
</section>`;
}

function discoveryPanel(view: SourceView): SafeHtml {
  const { source, discovery } = view;
  const outcome = view.flash?.discovery;
  const action = `/admin/settings/fhir-sources/${source.id}/discover`;
  const chips = (items: readonly string[]) =>
    items.length > 0
      ? html`<span class="chips">${items.map((item) => badge(item))}</span>`
      : html`<span class="muted">none advertised</span>`;
  const pkce = discovery?.codeChallengeMethods.includes('S256');
  return html`<section class="card" id="discovery" aria-labelledby="discovery-heading">
  <div class="page-head"><div><h2 id="discovery-heading">SMART discovery</h2>
    <p class="muted">What <code>${source.fhir_base_url}</code> advertises.</p></div>
    <form method="post" action="${action}" hx-post="${action}" hx-target="#discovery" hx-select="#discovery" hx-swap="outerHTML">
      ${csrfField(view.viewer.csrfToken)}<button type="submit" class="secondary small">Check again</button>
    </form></div>
  ${outcome ? (outcome.ok ? html`<div class="notice ok" role="status">Discovery succeeded.</div>` : html`<div class="notice bad" role="alert"><strong>Discovery failed.</strong> ${outcome.reason}</div>`) : ''}
  ${
    discovery
      ? html`<dl class="kv">
    <dt>Found in</dt><dd>${discovery.source === 'smart-configuration' ? '.well-known/smart-configuration' : 'CapabilityStatement (/metadata)'}</dd>
    <dt>Issuer</dt><dd>${discovery.issuer ?? html`<span class="muted">not advertised</span>`}</dd>
    <dt>Authorization endpoint</dt><dd>${discovery.authorizationEndpoint}</dd>
    <dt>Token endpoint</dt><dd>${discovery.tokenEndpoint}</dd>
    <dt>JWKS URI</dt><dd>${discovery.jwksUri ?? html`<span class="muted">not advertised</span>`}</dd>
    <dt>Revocation endpoint</dt><dd>${discovery.revocationEndpoint ?? html`<span class="muted">not advertised</span>`}</dd>
    <dt>Client authentication</dt><dd>${chips(discovery.tokenEndpointAuthMethods)}</dd>
    <dt>Assertion algorithms</dt><dd>${chips(discovery.tokenEndpointAuthSigningAlgs)}</dd>
    <dt>PKCE</dt><dd>${pkce ? badge('S256 supported', 'ok') : discovery.codeChallengeMethods.length > 0 ? badge(`${discovery.codeChallengeMethods.join(', ')} only`, 'warn') : html`<span class="muted">not advertised (Chartside always sends S256)</span>`}</dd>
    <dt>Capabilities</dt><dd>${chips(discovery.capabilities)}</dd>
    <dt>Scopes supported</dt><dd>${chips(discovery.scopesSupported)}</dd>
    <dt>Checked</dt><dd>${when(source.discovered_at)}</dd>
  </dl>`
      : html`<p class="muted">Not discovered yet${outcome && !outcome.ok ? '' : ': use Check again'}.</p>`
  }
</section>`;
}

function errorSummary(errors: SourceErrors): SafeHtml {
  const count = Object.keys(errors).length;
  if (count === 0) return html``;
  return html`<div class="notice bad" role="alert"><strong>Not saved.</strong> ${count === 1 ? 'One field needs' : `${count} fields need`} attention.</div>`;
}
