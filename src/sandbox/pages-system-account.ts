/**
 * Cerner Central's System Account page for an app (the guide, "Cerner Central System Account"):
 * Account ID (= Client ID), Account Type LIMITED, Production Yes, Status ACTIVE, the masked
 * Secret with Manage and View, and the JSON Web Key Set URL with Edit and Test. Plus the two
 * pages behind Manage (rotate the secret) and Edit (the URL form).
 */
import { privacyOf, type SandboxAppRegistration } from './config.ts';
import type { ConsoleSession } from './console-session.ts';
import { html, type SafeHtml } from './html.ts';
import type { JwksFetchResult, KeySummary } from './jwks-fetch.ts';
import { appPath, detailRow, systemAccountPath } from './pages-console.ts';
import { type ConsoleViewer, consolePage, csrfField, noticeBanner, textInput } from './pages-form.ts';

/** What the page shows about the secret besides the mask. */
export type SecretShown =
  | { kind: 'masked' }
  | { kind: 'revealed'; secret: string; rotated: boolean }
  | { kind: 'already-viewed' };

export interface SystemAccountInput {
  app: SandboxAppRegistration;
  viewer: ConsoleViewer;
  secret: SecretShown;
  /** The outcome of pressing Test, with the keys it found. */
  test?: { url: string; result: JwksFetchResult; keys: KeySummary[] } | undefined;
  notice?: string | undefined;
}

/** A POST button; without a session the form still posts and the handler sends the browser to Sign in. */
function postButton(
  action: string,
  label: string,
  session: ConsoleSession | undefined,
  secondary = true,
): SafeHtml {
  return html`<form class="inline-form" method="post" action="${action}">${session ? csrfField(session) : ''}<button type="submit" class="${secondary ? 'secondary small' : 'small'}">${label}</button></form>`;
}

function secretValue(input: SystemAccountInput): SafeHtml {
  const { app, secret, viewer } = input;
  if (privacyOf(app) === 'public' || app.secret === undefined) {
    return html`<span class="muted">None (${privacyOf(app) === 'public' ? 'a Public application has no secret' : 'no secret issued'})</span>`;
  }
  const path = systemAccountPath(app);
  const buttons = html`<a class="button secondary small" href="${path}/secret">Manage</a> ${postButton(`${path}/secret/view`, 'View', viewer.session)}`;
  if (secret.kind === 'revealed') {
    return html`<code class="secret" id="client-secret">${secret.secret}</code>
<p class="hint" role="status">${secret.rotated ? 'The new secret replaced the old one, which no longer works.' : ''} Copy it now: View shows a secret once. Manage rotates it to get a new one.</p>`;
  }
  const note =
    secret.kind === 'already-viewed'
      ? html`<div class="error" role="alert">This secret was already viewed once. Use Manage to rotate it and view the new secret.</div>`
      : '';
  return html`${note}<span aria-label="masked secret">&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;</span> ${buttons}`;
}

function testOutcome(test: SystemAccountInput['test']): SafeHtml | '' {
  if (!test) return '';
  if (!test.result.ok) {
    return html`<div class="error" role="alert" id="jwks-test-result"><strong>Test failed.</strong> ${test.result.message}</div>`;
  }
  const rows = test.keys.map(
    (key) =>
      html`<tr><td><code>${key.kid ?? '(no kid)'}</code></td><td>${key.alg ?? '(no alg)'}</td><td>${key.kty ?? ''}</td></tr>`,
  );
  return html`<div class="notice" role="status" id="jwks-test-result"><strong>Test passed.</strong> Found ${test.keys.length} public ${test.keys.length === 1 ? 'key' : 'keys'} at ${test.url}: Cerner will accept JWT client assertions signed with ${test.keys.length === 1 ? 'it' : 'them'}.</div>
<table><thead><tr><th>kid</th><th>alg</th><th>kty</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function jwksSection(input: SystemAccountInput): SafeHtml {
  const { app, viewer } = input;
  const path = systemAccountPath(app);
  const test = app.jwksUrl
    ? html`<p>${postButton(`${path}/jwks/test`, 'Test', viewer.session)} <span class="hint">Fetches the URL now, as Cerner does, and lists the keys it finds.</span></p>`
    : '';
  return html`<section class="card" aria-labelledby="jwks-heading">
<div class="panel-title"><h2 id="jwks-heading">JSON Web Key Set</h2><a class="button secondary small" href="${path}/jwks/edit">Edit</a></div>
<p class="muted">The public keys Cerner fetches to check the app's JWT client assertions (private_key_jwt).</p>
<dl>${detailRow('JSON Web Key Set URL', app.jwksUrl ?? html`<span class="muted">Not configured</span>`)}</dl>
${test}
${testOutcome(input.test)}
</section>`;
}

export function systemAccountPage(input: SystemAccountInput): string {
  const { app } = input;
  return consolePage(
    'System Account',
    html`<p><a href="${appPath(app)}">&larr; ${app.name}</a></p>
${noticeBanner(input.notice)}
<section class="card">
<h1>Cerner Central System Accounts</h1>
<dl>
${detailRow('Account ID', html`<code id="account-id">${app.clientId}</code>`)}
${detailRow('Account Name', app.name)}
${detailRow('Account Type', 'LIMITED')}
${detailRow('Production', 'Yes')}
${detailRow('Status', 'ACTIVE')}
</dl>
<dl style="margin-top:6px"><dt>Secret</dt><dd>${secretValue(input)}</dd></dl>
</section>
${jwksSection(input)}`,
    input.viewer,
  );
}

/** Manage: what rotating does, and the Rotate Secret button. */
export function manageSecretPage(app: SandboxAppRegistration, session: ConsoleSession): string {
  const path = systemAccountPath(app);
  return consolePage(
    'Manage Secret',
    html`<p><a href="${path}">&larr; System Account</a></p>
<section class="card">
<h1>Manage Secret</h1>
<p>Rotating issues a new client secret for <strong>${app.name}</strong> and the current one stops working at once:
every token request with it is refused (<code>invalid_client</code>). Paste the new one into Chartside's connection right after.</p>
<form method="post" action="${path}/secret/rotate">${csrfField(session)}
<div class="actions"><a class="button secondary" href="${path}">Cancel</a><button type="submit">Rotate Secret</button></div>
</form>
</section>`,
    { session, path: `${path}/secret` },
  );
}

export interface EditJwksInput {
  app: SandboxAppRegistration;
  session: ConsoleSession;
  choice: 'url' | 'none';
  url: string;
  error?: string | undefined;
}

/** Edit, to the right of the JSON Web Key Set header: the URL radio, the URL, Save. */
export function editJwksPage(input: EditJwksInput): string {
  const path = systemAccountPath(input.app);
  const radio = (value: 'url' | 'none', label: string) =>
    html`<label class="choice" for="jwks-${value}"><input type="radio" id="jwks-${value}" name="jwks_choice" value="${value}"${input.choice === value ? html` checked` : ''}>${label}</label>`;
  return consolePage(
    'Edit JSON Web Key Set',
    html`<p><a href="${path}">&larr; System Account</a></p>
<section class="card">
<h1>Edit JSON Web Key Set</h1>
${input.error ? html`<div class="error" role="alert">Not saved: see the message beside the URL.</div>` : ''}
<form method="post" action="${path}/jwks" novalidate>${csrfField(input.session)}
<fieldset class="field"><legend>JSON Web Key Set</legend>${radio('url', 'URL (Strongly Recommended)')}${radio('none', 'None')}</fieldset>
${textInput({ name: 'jwks_url', label: 'JSON Web Key Set URL', value: input.url, type: 'url', error: input.error, placeholder: 'https://app.example.com/api/auth/.well-known/jwks', hint: 'Where Cerner fetches the public keys of your JWT client assertions.' })}
<div class="actions"><a class="button secondary" href="${path}">Cancel</a><button type="submit">Save</button></div>
</form>
</section>`,
    { session: input.session, path: `${path}/jwks/edit` },
  );
}
