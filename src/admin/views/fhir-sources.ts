/** Settings → FHIR sources: the list, the add form, and a source's page with its discovery. */
import { html, type SafeHtml } from '../../html/escape.ts';
import type { FhirSource } from '../../settings/fhir-sources.ts';
import type { SmartConfiguration } from '../../smart/discovery.ts';
import { VENDOR_LABELS } from '../connection-status.ts';
import type { Flash } from '../sessions.ts';
import { badge, csrfField, radioField, selectField, textField, when } from './components.ts';
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

export function sourcesPage(viewer: Viewer, sources: FhirSource[], flash?: Flash | null): string {
  const rows = sources.map(
    (source) => html`<tr>
  <td><a href="/admin/settings/fhir-sources/${source.id}"><strong>${source.name}</strong></a><span class="sub mono">${source.id}</span></td>
  <td data-label="Vendor">${VENDOR_LABELS[source.vendor as keyof typeof VENDOR_LABELS] ?? source.vendor}</td>
  <td data-label="Environment">${badge(source.environment, source.environment === 'production' ? 'info' : '')}</td>
  <td data-label="FHIR base URL (iss)" class="mono">${source.fhir_base_url}</td>
  <td data-label="Discovery">${source.discovered_at ? html`${badge('Discovered', 'ok')}<span class="sub">${when(source.discovered_at)}</span>` : badge('Not yet')}</td>
</tr>`,
  );
  return consolePage({
    title: 'FHIR sources',
    viewer,
    nav: 'fhir-sources',
    crumbs: [CRUMBS[0]],
    flash,
    body: html`<div class="page-head"><div><h1>FHIR sources</h1>
<p class="muted">The FHIR base URLs launches come from: the <code>iss</code> an EHR sends must be registered here. Sources are shared by every organization on this gateway.</p></div>
<a class="button" href="/admin/settings/fhir-sources/new">Add a FHIR source</a></div>
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Name</th><th scope="col">Vendor</th><th scope="col">Environment</th><th scope="col">FHIR base URL (iss)</th><th scope="col">Discovery</th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="5" class="empty">No FHIR sources yet. Add the EHR’s FHIR base URL to accept its launches.</td></tr>`}</tbody>
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
      { value: 'smart', label: 'Other SMART EHR' },
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
  flash?: Flash | null;
}

export function sourcePage(view: SourceView): string {
  const { source } = view;
  return consolePage({
    title: source.name,
    viewer: view.viewer,
    nav: 'fhir-sources',
    crumbs: CRUMBS,
    flash: view.flash,
    body: html`<div class="page-head"><div><p class="eyebrow">FHIR source</p><h1>${source.name}</h1>
<p class="muted mono">${source.id}</p></div></div>
${discoveryPanel(view)}
${errorSummary(view.errors)}
<form method="post" action="/admin/settings/fhir-sources/${source.id}" novalidate>
  ${csrfField(view.viewer.csrfToken)}
  <section class="card" aria-labelledby="edit-heading"><h2 id="edit-heading">Edit</h2>
    <p class="lead">Changing the base URL or environment discovers again. Launches already made keep their record.</p>
    ${sourceFields(view.values, view.errors)}
  </section>
  <div class="actions"><button type="submit">Save</button><a href="/admin/settings/fhir-sources">Back to FHIR sources</a></div>
</form>`,
  });
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
