/**
 * Settings → Connections → Cerner (and Epic, and SMART generic): the guide's "Configure
 * Medblocks" page, the same structure for every vendor. Top: About, App launch URL, CDS
 * endpoint, CDS caching. Bottom: the org-scoped Launch URL and CDS Hooks URL, the credentials
 * and client assertion, the Redirect URI and JWKS URI to copy, each linked source's SMART
 * configuration against this connection, and the resolved Scopes.
 */
import { html } from '../../html/escape.ts';
import { VENDOR_LABELS } from '../../settings/fhir-sources.ts';
import { VENDOR_PROFILES } from '../../settings/vendor-profiles.ts';
import { type ConnectionField, FIELD_LABELS } from '../connection-form.ts';
import { VENDOR_PRODUCTS } from '../connection-status.ts';
import { badge, copyField, csrfField, selectField, switchField, textArea, textField } from './components.ts';
import {
  type ConnectionView,
  credentialsChooser,
  grantComparison,
  sourceChecks,
  standaloneScopesHint,
} from './connection-parts.ts';
import { consolePage } from './layout.ts';

export type { ConnectionView } from './connection-parts.ts';

export function connectionPage(view: ConnectionView): string {
  const label = VENDOR_LABELS[view.vendor];
  const isCerner = view.vendor === 'cerner';
  const profile = VENDOR_PROFILES[view.vendor];
  const ehrConsole = profile.registration.where;
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
      hint: profile.registration.clientIdHint,
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
    ${selectField({
      name: 'signing_alg',
      label: 'Assertion algorithm',
      value: values.signing_alg,
      options: [
        { value: 'auto', label: 'Automatic: what the EHR advertises (RS384 unless it takes only ES384)' },
        { value: 'RS384', label: 'RS384' },
        { value: 'ES384', label: 'ES384' },
      ],
      hint: 'With private_key_jwt: the algorithm of the JWT Chartside signs. Both keys are in the JWKS URI.',
      error: errors.signing_alg,
    })}
    ${switchField({
      name: 'assertion_jku',
      label: 'Send jku',
      checked: values.assertion_jku,
      hint: 'With private_key_jwt: name the JWKS URI in the JWT’s jku header, for EHRs that look keys up by it (Epic). The EHR must have the same URL registered.',
    })}
    ${copyField({ id: 'redirect_uri', label: 'Redirect URI', value: urls.redirectUri, hint: isCerner ? 'Register it as the Redirect URI on the Code Console.' : 'Register it as the app’s redirect URI.' })}
    ${copyField({ id: 'jwks_uri', label: 'JWKS URI', value: urls.jwksUri, hint: isCerner ? 'Register it as the JSON Web Key Set URL on Cerner Central.' : 'Register it as the app’s JWKS URL.' })}
    <div class="field"><div class="label" id="scopes-label">Scopes</div><div>
      <code class="scope-string" id="resolved-scopes" aria-labelledby="scopes-label">${view.savedScopes}</code>
      <p class="hint">Requested on every launch. Confirm it matches what you ticked on ${isCerner ? 'the Code Console’s API Access screen' : 'the EHR’s app registration'}.</p>
      ${standaloneScopesHint(view)}
      ${grantComparison(view, isCerner)}
      <details${errors.scopes || scopesChanged ? html` open` : ''}><summary>Change scopes</summary>
        ${textArea({ name: 'scopes', label: 'Scopes to request', value: values.scopes, rows: 2, hint: `Space-separated, SMART v1 (user/Patient.read) or v2 (user/Patient.rs, granular ?category=) as the app is registered, not both. ${profile.noWildcards ?? 'Wildcards (patient/*.rs) are allowed.'}`, error: errors.scopes })}
      </details>
    </div></div>
    ${sourceChecks(view)}
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
