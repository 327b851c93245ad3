/**
 * Parts of a connection page (views/connection.ts): the credentials chooser, the Scopes row
 * held against the EHR's last grant, and what each linked source's SMART configuration says.
 */
import { html, type SafeHtml } from '../../html/escape.ts';
import type { LastGrant } from '../../launch/last-grant.ts';
import { compareScopes } from '../../launch/last-grant.ts';
import type { ConnectionCredentials, ConnectionSettings } from '../../settings/connections.ts';
import type { Vendor } from '../../settings/fhir-sources.ts';
import { VENDOR_PROFILES } from '../../settings/vendor-profiles.ts';
import { standaloneScopes } from '../../smart/scopes.ts';
import type { ConnectionFormValues, CredentialsTarget, FieldErrors } from '../connection-form.ts';
import type { RegistrationUrls, SourceCheck } from '../connection-status.ts';
import type { Flash } from '../sessions.ts';
import { badge, environmentBadge, when } from './components.ts';
import type { Viewer } from './layout.ts';

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
  /** Each linked source of this vendor against its kept SMART configuration. */
  sourceChecks: SourceCheck[];
  platformClientId: string | null;
  /** What the EHR granted on the org's last ready launch from this vendor, to compare with the Scopes row. */
  lastGrant: LastGrant | null;
}

/**
 * The credentials block edits one target at a time: both environments while they are the same,
 * or sandbox / production apart (Epic, for one, issues a separate production client id). When
 * they differ, both are shown side by side so nobody saves the wrong one by accident.
 */
export function credentialsChooser(view: ConnectionView): SafeHtml {
  const names = VENDOR_PROFILES[view.vendor].registration.environments;
  const labels: Record<CredentialsTarget, string> = { both: 'Both environments', ...names };
  const tabs = (['both', 'sandbox', 'production'] as const).map((target) =>
    target === view.target
      ? html`<a class="tab current" aria-current="page" href="?environment=${target}">${labels[target]}</a>`
      : html`<a class="tab" href="?environment=${target}">${labels[target]}</a>`,
  );
  const row = (environment: 'sandbox' | 'production', credentials: ConnectionCredentials) =>
    html`<tr><th scope="row">${environmentBadge(environment)} ${names[environment]}</th><td>${credentials.useCustomCredentials ? html`<code>${credentials.clientId ?? ''}</code>` : 'Platform client'}</td><td>${credentials.authMethod}</td><td>${credentials.hasClientSecret ? 'Set' : 'Not set'}</td></tr>`;
  const both =
    view.credentialsDiffer && view.credentials
      ? html`<table class="env-credentials" id="credentials-by-environment"><caption>The environments use different credentials</caption>
<thead><tr><th scope="col">Environment</th><th scope="col">Client ID</th><th scope="col">Authentication</th><th scope="col">Secret</th></tr></thead>
<tbody>${row('sandbox', view.credentials.sandbox)}${row('production', view.credentials.production)}</tbody></table>`
      : '';
  return html`<div class="field"><div class="label" id="credentials-for-label">Credentials for</div><div>
  <input type="hidden" name="credentials_for" value="${view.target}">
  <nav class="tabs" aria-labelledby="credentials-for-label">${tabs}</nav>
  <p class="hint">${view.target === 'both' ? 'Saving sets the same credentials for sandbox and production launches.' : `Saving changes only the ${labels[view.target].toLowerCase()} credentials; launches from ${view.target} sources use them.`}</p>
  ${both}
</div></div>`;
}

/**
 * The Scopes row checked against the EHR's last grant: the guide asks to confirm the row matches
 * the API Access ticks, and the last launch's granted scope is where a mismatch shows.
 */
export function grantComparison(view: ConnectionView, isCerner: boolean): SafeHtml {
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

/**
 * Each linked source of this vendor: what its SMART configuration refuses (also in the blockers
 * above), scopes it does not list, and its standalone launch link when it offers one.
 */
export function sourceChecks(view: ConnectionView): SafeHtml {
  if (view.sourceChecks.length === 0) return html``;
  const rows = view.sourceChecks.map((check) => {
    const { source } = check;
    const link = `${view.urls.standaloneUrl}?iss=${encodeURIComponent(source.fhir_base_url)}`;
    const state = !check.discovered
      ? html`${badge('Not discovered')} <span class="muted">Check again under Settings → FHIR sources, or launch once.</span>`
      : check.mismatches.length > 0
        ? html`${badge('Mismatch', 'bad')} ${check.mismatches.map((m, i) => html`${i > 0 ? html`<br>` : ''}${m}`)}`
        : badge('Matches', 'ok');
    const unlisted =
      check.scopesNotAdvertised.length > 0
        ? html`<p class="hint">Not in its <code>scopes_supported</code> (often a partial list): ${check.scopesNotAdvertised.map((scope, i) => html`${i > 0 ? ' ' : ''}<code>${scope}</code>`)}</p>`
        : '';
    const standalone = check.standalone
      ? html`<code class="scope-string">${link}</code>`
      : html`<span class="muted">${check.discovered ? 'Not offered (no launch-standalone)' : 'Unknown'}</span>`;
    return html`<tr>
  <td><strong>${source.name}</strong> ${environmentBadge(source.environment)}<span class="sub mono">${source.fhir_base_url}</span></td>
  <td data-label="SMART configuration">${state}${unlisted}</td>
  <td data-label="Standalone launch link">${standalone}</td>
</tr>`;
  });
  return html`<div class="field" id="source-checks"><div class="label">EHR capabilities</div><div>
  <div class="table-wrap"><table class="stack">
  <thead><tr><th scope="col">FHIR source</th><th scope="col">SMART configuration</th><th scope="col">Standalone launch link</th></tr></thead>
  <tbody>${rows}</tbody></table></div>
  <p class="hint">Each linked source’s advertised SMART configuration held against this connection. The standalone link opens a launch outside the EHR: the clinician signs in and picks a patient.</p>
</div></div>`;
}

/** The scopes a standalone launch requests instead of the EHR launch's. */
export function standaloneScopesHint(view: ConnectionView): SafeHtml {
  if (!view.sourceChecks.some((check) => check.standalone)) return html``;
  return html`<p class="hint" id="standalone-scopes">A standalone launch requests <code>${standaloneScopes(view.savedScopes, false)}</code> (with <code>launch/encounter</code> too where the EHR offers it).</p>`;
}
