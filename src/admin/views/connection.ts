/**
 * Settings → Connections → Cerner: the guide's "Configure Medblocks" page. Top: About, App
 * launch URL, CDS endpoint, CDS caching. Bottom: the org-scoped Launch URL and CDS Hooks URL,
 * the credentials, the Redirect URI and JWKS URI to copy, and the resolved Scopes.
 */
import { html, type SafeHtml } from '../../html/escape.ts';
import { compareScopes, type LastGrant } from '../../launch/last-grant.ts';
import type { ConnectionCredentials, ConnectionSettings } from '../../settings/connections.ts';
import type { Vendor } from '../../settings/fhir-sources.ts';
import { VENDOR_LABELS } from '../../settings/fhir-sources.ts';
import {
  type ConnectionField,
  type ConnectionFormValues,
  type CredentialsTarget,
  FIELD_LABELS,
  type FieldErrors,
} from '../connection-form.ts';
import { type RegistrationUrls, VENDOR_PRODUCTS } from '../connection-status.ts';
import type { Flash } from '../sessions.ts';
import {
  badge,
  copyField,
  csrfField,
  environmentBadge,
  selectField,
  switchField,
  textArea,
  textField,
  when,
} from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

export interface ConnectionView {
  viewer: Viewer;
  flash?: Flash | null;
  vendor: Vendor;
  orgId: string;
  urls: RegistrationUrls;
  values: ConnectionFormValues;
  errors: FieldErrors;
  /** Which environment's credentials the form edits. */
  target: CredentialsTarget;
  credentials: ConnectionSettings['credentials'] | null;
  credentialsDiffer: boolean;
  /** Whether a secret is stored now (the value is never available here). */
  hasClientSecret: boolean;
  /** The person typed a secret but the form had errors: it was not saved. */
  secretNotSaved: boolean;
  /** What the next launch requests: the saved scopes. */
  savedScopes: string;
  blockers: string[];
  platformClientId: string | null;
  /** What the EHR granted on the org's last ready launch from this vendor, to compare with the Scopes row. */
  lastGrant: LastGrant | null;
}

const TARGET_LABELS: Record<CredentialsTarget, string> = {
  both: 'Both environments',
  sandbox: 'Sandbox',
  production: 'Production',
};

/**
 * The credentials block edits one target at a time: both environments while they are the same,
 * or sandbox / production apart (Epic, for one, issues a separate production client id). When
 * they differ, both are shown side by side so nobody saves the wrong one by accident.
 */
function credentialsChooser(view: ConnectionView): SafeHtml {
  const tabs = (['both', 'sandbox', 'production'] as const).map((target) =>
    target === view.target
      ? html`<a class="tab current" aria-current="page" href="?environment=${target}">${TARGET_LABELS[target]}</a>`
      : html`<a class="tab" href="?environment=${target}">${TARGET_LABELS[target]}</a>`,
  );
  const row = (label: string, credentials: ConnectionCredentials) =>
    html`<tr><th scope="row">${environmentBadge(label.toLowerCase())}</th><td>${credentials.useCustomCredentials ? html`<code>${credentials.clientId ?? ''}</code>` : 'Platform client'}</td><td>${credentials.authMethod}</td><td>${credentials.hasClientSecret ? 'Set' : 'Not set'}</td></tr>`;
  const both =
    view.credentialsDiffer && view.credentials
      ? html`<table class="env-credentials" id="credentials-by-environment"><caption>The environments use different credentials</caption>
<thead><tr><th scope="col">Environment</th><th scope="col">Client ID</th><th scope="col">Authentication</th><th scope="col">Secret</th></tr></thead>
<tbody>${row('Sandbox', view.credentials.sandbox)}${row('Production', view.credentials.production)}</tbody></table>`
      : '';
  return html`<div class="field"><div class="label" id="credentials-for-label">Credentials for</div><div>
  <input type="hidden" name="credentials_for" value="${view.target}">
  <nav class="tabs" aria-labelledby="credentials-for-label">${tabs}</nav>
  <p class="hint">${view.target === 'both' ? 'Saving sets the same credentials for sandbox and production launches.' : `Saving changes only the ${view.target} credentials; launches from ${view.target} sources use them.`}</p>
  ${both}
</div></div>`;
}

/**
 * The Scopes row checked against the EHR's last grant: the guide asks to confirm the row matches
 * the API Access ticks, and the last launch's granted scope is where a mismatch shows.
 */
function grantComparison(view: ConnectionView, isCerner: boolean): SafeHtml {
  const grant = view.lastGrant;
  if (!grant) {
    return html`<p class="hint" id="scope-check">No launch has been granted scopes yet: after the first one, this row is compared with what ${isCerner ? 'Cerner' : 'the EHR'} granted.</p>`;
  }
  const difference = compareScopes(view.savedScopes, grant.scope);
  const launch = html`<a href="/admin/audit?launch=${grant.launchId}">last launch</a> (${when(grant.completedAt)})`;
  if (!difference) {
    return html`<p class="hint" id="scope-check">${badge('Matches', 'ok')} The ${launch} was granted exactly these scopes.</p>`;
  }
  const list = (scopes: string[]) =>
    html`${scopes.map((scope, i) => html`${i > 0 ? ' ' : ''}<code>${scope}</code>`)}`;
  return html`<div class="notice warn" role="status" id="scope-check"><strong>The EHR granted different scopes on the ${launch}.</strong>
  <ul>
    ${difference.notGranted.length > 0 ? html`<li>Requested here but not granted: ${list(difference.notGranted)}</li>` : ''}
    ${difference.notRequested.length > 0 ? html`<li>Granted but not requested here: ${list(difference.notRequested)}</li>` : ''}
    <li>Granted: <code>${grant.scope}</code></li>
  </ul>
  <p>${isCerner ? 'Cerner reviews any scope inflation: request only what you ticked on the Code Console’s API Access screen (and tick there only what your app uses).' : 'Request only what the EHR registration allows.'}</p></div>`;
}

export function connectionPage(view: ConnectionView): string {
  const label = VENDOR_LABELS[view.vendor];
  const isCerner = view.vendor === 'cerner';
  const ehrConsole = isCerner ? 'the Cerner Code Console' : 'the EHR’s app registration';
  const { values, errors, urls } = view;
  const errorCount = Object.keys(errors).length;
  const scopesChanged = values.scopes.trim() !== view.savedScopes;

  const status =
    errorCount > 0
      ? html`<div class="notice bad" role="alert" id="form-errors"><strong>Not saved.</strong> ${errorCount === 1 ? 'One field needs' : `${errorCount} fields need`} attention: ${Object.keys(errors).map((field, i) => html`${i > 0 ? ', ' : ''}<a href="#${field}">${FIELD_LABELS[field as ConnectionField]}</a>`)}.</div>`
      : view.blockers.length > 0
        ? html`<div class="notice warn"><strong>Launches cannot start yet.</strong><ul>${view.blockers.map((b) => html`<li>${b}</li>`)}</ul></div>`
        : html`<div class="notice ok">${badge('Ready', 'ok')} Launches from ${label} can start with these settings.</div>`;

  const secretState = view.hasClientSecret
    ? html`<p class="secret-state">${badge('Set', 'ok')} <span id="client_secret-state">A client secret is stored. It is never shown.</span></p>`
    : html`<p class="secret-state">${badge('Not set')} <span id="client_secret-state">No client secret is stored.</span></p>`;

  const body = html`<div class="page-head"><div><p class="eyebrow">Clinical Workflow</p><h1>${label} Clinical Workflow</h1></div></div>
${status}
<form method="post" action="/admin/settings/connections/${view.vendor}" novalidate>
  ${csrfField(view.viewer.csrfToken)}
  <section class="card" aria-labelledby="about-heading">
    <h2 id="about-heading">About</h2>
    <p class="lead">Clinicians open your app from a patient’s chart in ${VENDOR_PRODUCTS[view.vendor]}. The EHR calls
    Chartside’s Launch URL; Chartside completes the SMART launch, keeps the EHR’s tokens, and sends the clinician on to your
    App launch URL with <code>?mb_launch=&lt;id&gt;</code>. Your app’s backend resolves that handle with
    <code>GET /launch-contexts/&lt;id&gt;</code>.</p>
    ${textField({
      name: 'app_launch_url',
      label: 'App launch URL',
      type: 'url',
      value: values.app_launch_url,
      placeholder: 'https://app.example.org/launch',
      hint: 'Where Chartside sends the clinician after a launch completes, with ?mb_launch=<id> appended.',
      error: errors.app_launch_url,
      spellcheck: false,
    })}
    ${textField({
      name: 'cds_endpoint',
      label: 'CDS endpoint',
      type: 'url',
      value: values.cds_endpoint,
      placeholder: 'https://app.example.org/cds-services',
      hint: 'Your CDS Hooks service, if you serve CDS Hooks. Leave empty otherwise.',
      error: errors.cds_endpoint,
      spellcheck: false,
    })}
    ${switchField({
      name: 'cds_caching',
      label: 'CDS caching',
      checked: values.cds_caching,
      hint: 'Off by default. Turn it on only if you know your CDS service needs it.',
    })}
  </section>

  <section class="card credentials" aria-labelledby="ehr-heading">
    <h2 id="ehr-heading">${label} registration</h2>
    <p class="lead">Copy these into ${ehrConsole}${isCerner ? ' and Cerner Central' : ''}, and paste back the Client ID it issues.</p>
    ${copyField({ id: 'org_id', label: 'Organization ID', value: view.orgId, hint: 'The <your-org-id> at the end of the Launch URL.' })}
    ${copyField({ id: 'launch_url', label: 'Launch URL', value: urls.launchUrl, hint: isCerner ? 'Register it as the SMART Launch URI.' : 'Register it as the app’s launch URL.' })}
    ${copyField({ id: 'cds_hooks_url', label: 'CDS Hooks URL', value: urls.cdsHooksUrl, hint: 'Give it to the EHR administrator if you serve CDS Hooks.' })}
    ${credentialsChooser(view)}
    ${switchField({
      name: 'use_custom_credentials',
      label: 'Use custom credentials',
      checked: values.use_custom_credentials,
      hint: view.platformClientId
        ? html`On: your own app registration. Off: the platform’s client <code>${view.platformClientId}</code>.`
        : 'Turn on to use your own app registration (this gateway has no platform client for this EHR).',
    })}
    ${textField({
      name: 'client_id',
      label: 'Client ID',
      value: values.client_id,
      placeholder: isCerner ? 'e.g. 52f33973-…' : '',
      hint: isCerner
        ? 'From the application detail page on the Code Console.'
        : 'Issued by the EHR’s app registration.',
      error: errors.client_id,
      className: 'custom-only',
      spellcheck: false,
    })}
    <div class="field custom-only"><div class="label"><label for="client_secret">Client secret</label></div><div>
      ${secretState}
      <input type="password" id="client_secret" name="client_secret" value="" autocomplete="new-password" spellcheck="false"
        placeholder="${view.hasClientSecret ? 'Type a new secret to replace it' : isCerner ? 'Paste the secret from Cerner Central' : 'Paste the client secret'}"
        aria-describedby="client_secret-state client_secret-hint${errors.client_secret || view.secretNotSaved ? ' client_secret-error' : ''}"${errors.client_secret ? html` aria-invalid="true"` : ''}>
      ${view.hasClientSecret ? html`<div class="choices"><label><input type="checkbox" name="remove_client_secret" value="on"${values.remove_client_secret ? html` checked` : ''}> Remove the stored secret</label></div>` : ''}
      <p class="hint" id="client_secret-hint">Needed for client_secret_basic. Leave empty to keep the current one. With private_key_jwt Chartside signs with its own keys (JWKS URI) instead.</p>
      ${errors.client_secret ? html`<p class="error-text" id="client_secret-error">${errors.client_secret}</p>` : view.secretNotSaved ? html`<p class="error-text" id="client_secret-error">The secret you typed was not saved because of the other errors. Enter it again.</p>` : ''}
    </div></div>
    ${selectField({
      name: 'auth_method',
      label: 'Authentication method',
      value: values.auth_method,
      options: [
        { value: 'private_key_jwt', label: 'private_key_jwt: JWT signed with Chartside’s keys' },
        { value: 'client_secret_basic', label: 'client_secret_basic: client secret' },
      ],
      hint: 'How Chartside proves it is your app at the EHR’s token endpoint.',
      error: errors.auth_method,
      className: 'custom-only',
    })}
    ${copyField({ id: 'redirect_uri', label: 'Redirect URI', value: urls.redirectUri, hint: isCerner ? 'Register it as the Redirect URI on the Code Console.' : 'Register it as the app’s redirect URI.' })}
    ${copyField({ id: 'jwks_uri', label: 'JWKS URI', value: urls.jwksUri, hint: isCerner ? 'Register it as the JSON Web Key Set URL on Cerner Central.' : 'Register it as the app’s JWKS URL.' })}
    <div class="field"><div class="label" id="scopes-label">Scopes</div><div>
      <code class="scope-string" id="resolved-scopes" aria-labelledby="scopes-label">${view.savedScopes}</code>
      <p class="hint">Requested on every launch. Confirm it matches what you ticked on ${isCerner ? 'the Code Console’s API Access screen' : 'the EHR’s app registration'}.</p>
      ${grantComparison(view, isCerner)}
      <details${errors.scopes || scopesChanged ? html` open` : ''}><summary>Change scopes</summary>
        ${textArea({ name: 'scopes', label: 'Scopes to request', value: values.scopes, rows: 2, hint: 'Space-separated. Wildcards are not supported by Cerner; list each resource.', error: errors.scopes })}
      </details>
    </div></div>
  </section>
  <div class="actions"><button type="submit">Save</button><a href="/admin/settings/connections">Cancel</a></div>
</form>`;

  return consolePage({
    title: `${label} Clinical Workflow`,
    viewer: view.viewer,
    nav: 'connections',
    crumbs: [
      ['Settings', '/admin/settings'],
      ['Connections', '/admin/settings/connections'],
    ],
    flash: view.flash,
    body,
  });
}
