/** Settings → API keys and Settings → Signing keys. */

import type { ApiKeySummary } from '../../api/api-keys.ts';
import { html, type SafeHtml } from '../../html/escape.ts';
import type { KeyState } from '../../keys/key-ring.ts';
import type { Flash } from '../sessions.ts';
import { age, badge, copyField, csrfField, environmentBadge, when } from './components.ts';
import { consolePage, type Viewer } from './layout.ts';

const SETTINGS = ['Settings', '/admin/settings'] as const;

export const maskedKey = (key: Pick<ApiKeySummary, 'displayPrefix'>) => `${key.displayPrefix}_…`;

export function apiKeysPage(viewer: Viewer, keys: ApiKeySummary[], flash?: Flash | null): string {
  const created = flash?.apiKey;
  const rows = keys.map(
    (key) => html`<tr>
  <td class="mono"><strong>${maskedKey(key)}</strong></td>
  <td data-label="Environment">${environmentBadge(key.environment)}</td>
  <td data-label="Status">${key.revokedAt ? html`${badge('Revoked', 'bad')}<span class="sub">${when(key.revokedAt)}</span>` : badge('Active', 'ok')}</td>
  <td data-label="Created">${when(key.createdAt)}</td>
  <td data-label="Last used">${key.lastUsedAt ? when(key.lastUsedAt) : html`<span class="muted">never</span>`}</td>
  <td>${key.revokedAt ? '' : html`<a class="button danger small" href="/admin/settings/api-keys/${key.id}/revoke" aria-label="Revoke ${maskedKey(key)}">Revoke</a>`}</td>
</tr>`,
  );
  return consolePage({
    title: 'API keys',
    viewer,
    nav: 'api-keys',
    crumbs: [SETTINGS],
    flash: created ? null : flash,
    body: html`<div class="page-head"><div><h1>API keys</h1>
<p class="muted">Your app’s backend sends a key as <code>Authorization: Bearer &lt;key&gt;</code> to resolve <code>mb_launch</code> handles and read FHIR data. Keys are stored hashed and shown once.</p></div>
<form method="post" action="/admin/settings/api-keys" class="inline-form">${csrfField(viewer.csrfToken)}
  <label for="key-environment">Environment</label>
  <select id="key-environment" name="environment"><option value="sandbox">Sandbox (cs_test_…)</option><option value="production">Production (cs_live_…)</option></select>
  <button type="submit">Create API key</button></form></div>
<p class="muted">A key reads only the launches of its environment: a sandbox key gets 404 for a production launch, as if it did not exist.</p>
${
  created
    ? html`<section class="new-key" aria-labelledby="new-key-heading" role="status">
  <h2 id="new-key-heading">Your new API key</h2>
  <p>Copy it now and store it in your app’s secrets. It is not shown again.</p>
  ${copyField({ id: 'new_api_key', label: 'API key', value: created.key })}
</section>`
    : ''
}
<section class="card"><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Key</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
<tbody>${rows.length > 0 ? rows : html`<tr><td colspan="6" class="empty">No API keys yet.</td></tr>`}</tbody>
</table></div></section>`,
  });
}

export function revokeKeyPage(viewer: Viewer, key: ApiKeySummary): string {
  return consolePage({
    title: 'Revoke API key',
    viewer,
    nav: 'api-keys',
    crumbs: [SETTINGS, ['API keys', '/admin/settings/api-keys']],
    body: html`<section class="card">
  <h1>Revoke <span class="mono">${maskedKey(key)}</span>?</h1>
  <p>Apps using this key stop working at once: their requests are refused with <code>invalid_api_key</code>. This cannot be undone.</p>
  <dl class="kv"><dt>Created</dt><dd>${when(key.createdAt)}</dd><dt>Last used</dt><dd>${key.lastUsedAt ? when(key.lastUsedAt) : 'never'}</dd></dl>
  <form method="post" action="/admin/settings/api-keys/${key.id}/revoke">${csrfField(viewer.csrfToken)}
    <div class="actions"><button type="submit" class="danger solid">Revoke key</button><a href="/admin/settings/api-keys">Cancel</a></div>
  </form>
</section>`,
  });
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: string;
  activatesAt: string | null;
  retiresAt: string | null;
}

const STATE_BADGES: Record<KeyState, [string, 'ok' | 'bad' | 'info' | '']> = {
  next: ['next', 'info'],
  active: ['active · signs now', 'ok'],
  retiring: ['retiring', ''],
  retired: ['retired', 'bad'],
};

/** When the key changes state next, in words. */
function stateNote(key: SigningKeyRow): SafeHtml | string {
  if (key.state === 'next' && key.activatesAt)
    return html`<span class="sub">signs from ${when(key.activatesAt)}</span>`;
  if (key.state !== 'retired' && key.retiresAt)
    return html`<span class="sub">leaves the JWKS ${when(key.retiresAt)}</span>`;
  return '';
}

export function signingKeysPage(
  viewer: Viewer,
  keys: SigningKeyRow[],
  jwks: unknown,
  jwksUrl: string,
): string {
  const now = new Date();
  const rows = keys.map(
    (key): SafeHtml => html`<tr>
  <td data-label="Key id (kid)" class="mono">${key.kid}</td>
  <td data-label="Algorithm" class="mono">${key.alg}</td>
  <td data-label="State">${badge(...STATE_BADGES[key.state])}${stateNote(key)}</td>
  <td data-label="Created">${when(key.createdAt)}</td>
  <td data-label="Age" class="num">${age(key.createdAt, now)}</td>
</tr>`,
  );
  return consolePage({
    title: 'Signing keys',
    viewer,
    nav: 'signing-keys',
    crumbs: [SETTINGS],
    body: html`<div class="page-head"><div><h1>Signing keys</h1>
<p class="muted">Chartside signs its JWT client assertions (private_key_jwt) with these keys. The EHR checks them against the public keys at the JWKS URI. Private keys never leave the gateway and are sealed at rest. <code>chartside keys rotate</code> adds a key that is published first (<em>next</em>) and signs after the lead time; the key it replaces stays published for a grace period (<em>retiring</em>).</p></div></div>
<section class="card">
  ${copyField({ id: 'jwks_uri', label: 'JWKS URI', value: jwksUrl, hint: 'Register it as the JSON Web Key Set URL on Cerner Central.' })}
</section>
<section class="card"><h2>Keys</h2><div class="table-wrap"><table class="stack">
<thead><tr><th scope="col">Key id (kid)</th><th scope="col">Algorithm</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Age</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>
<section class="card"><h2>Current JWKS</h2>
  <p class="muted">Exactly what <code>${jwksUrl}</code> serves.</p>
  <pre id="jwks" tabindex="0" aria-label="Current JWKS">${JSON.stringify(jwks, null, 2)}</pre>
</section>`,
  });
}
