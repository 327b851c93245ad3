/**
 * Code Console pages as the guide shows them: the sign-in, My Applications (with + New
 * Application), the Application Details page (Testing panel, the registered values, the
 * Cerner Central link, Edit for the URIs) and the URI edit form.
 */
import {
  API_RESOURCES,
  type ApiTick,
  apiTablesFor,
  isTicked,
  resourceScopes,
  ticksOfScopes,
} from './api-access.ts';
import { type ApplicationType, privacyOf, type SandboxAppRegistration } from './config.ts';
import { CODE_ACCOUNT, CONSOLE_SIGN_IN_PATH, type ConsoleSession } from './console-session.ts';
import { html, page, type SafeHtml } from './html.ts';
import {
  type ConsoleViewer,
  consolePage,
  csrfField,
  errorSummary,
  noticeBanner,
  textInput,
} from './pages-form.ts';
import type { FieldErrors } from './registration-form.ts';

export const CONSOLE_APPS_PATH = '/developer/smart-on-fhir/apps';
export const NEW_APPLICATION_PATH = `${CONSOLE_APPS_PATH}/new`;
/** The path Chartside's Redirect URI ends with; a Launch URI ending with it is the guide's pitfall. */
const CALLBACK_PATH = '/api/auth/smart/launch-callback';

export function appPath(app: SandboxAppRegistration): string {
  return `${CONSOLE_APPS_PATH}/${encodeURIComponent(app.applicationId)}`;
}

export function systemAccountPath(app: SandboxAppRegistration): string {
  return `/system-accounts/${encodeURIComponent(app.clientId)}`;
}

const TYPE_LABELS: Record<ApplicationType, string> = {
  provider: 'Provider',
  patient: 'Patient',
  system: 'System',
};

export function typeLabel(app: SandboxAppRegistration): string {
  return TYPE_LABELS[app.persona ?? 'provider'];
}

export function signInPage(input: { returnTo: string; username: string; error?: string }): string {
  return page(
    'Sign in: Cerner Code Console',
    'console',
    html`<section class="card narrow">
<h1>Sign in to Code Console</h1>
<p class="muted">Use your Cerner Code account. In the local sandbox it is <code>${CODE_ACCOUNT.username}</code> / <code>${CODE_ACCOUNT.password}</code>.</p>
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
<form method="post" action="${CONSOLE_SIGN_IN_PATH}">
<input type="hidden" name="return_to" value="${input.returnTo}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${input.username}" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<div class="actions"><a class="button secondary" href="${CONSOLE_APPS_PATH}">Cancel</a><button type="submit">Sign in</button></div>
</form>
</section>`,
  );
}

export function myApplicationsPage(
  apps: readonly SandboxAppRegistration[],
  viewer: ConsoleViewer,
  notice?: string,
): string {
  const rows = apps.map(
    (app) => html`<tr>
<td><a href="${appPath(app)}">${app.name}</a></td>
<td>${typeLabel(app)}</td>
<td><code>${app.applicationId}</code></td>
<td><code>${app.clientId}</code></td>
</tr>`,
  );
  return consolePage(
    'My Applications',
    html`${noticeBanner(notice)}<section class="card">
<div class="panel-title"><h1>My Applications</h1>
<form method="get" action="${NEW_APPLICATION_PATH}" class="inline-form"><button type="submit">+ New Application</button></form></div>
<table>
<thead><tr><th>Name</th><th>Application Type</th><th>Application ID</th><th>Client ID</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${apps.length === 0 ? html`<p class="muted">No applications are registered yet. Click + New Application to register one.</p>` : ''}
</section>`,
    viewer,
  );
}

export function detailRow(label: string, value: SafeHtml | string): SafeHtml {
  return html`<dt>${label}</dt><dd>${value}</dd>`;
}

function list(values: readonly string[] | undefined): SafeHtml | string {
  if (!values || values.length === 0) return html`<span class="muted">None</span>`;
  return html`${values.map((value, index) => html`${index > 0 ? html`<br>` : ''}${value}`)}`;
}

/**
 * The guide's pitfall: "it should end with /api/auth/smart/launch/<your-org-id>, not the callback
 * path". A Launch URI that is the callback (or one of the Redirect URIs) never starts a launch.
 */
export function launchUriWarning(app: SandboxAppRegistration): string | undefined {
  if (app.launchUri === '') return undefined;
  let path: string;
  try {
    path = new URL(app.launchUri).pathname;
  } catch {
    return undefined;
  }
  if (path.endsWith(CALLBACK_PATH) || app.redirectUris.includes(app.launchUri)) {
    return `The SMART Launch URI ends with the callback path (${path}) instead of /api/auth/smart/launch/<your-org-id>. Cerner opens the SMART Launch URI when a clinician launches the app; the callback path is the Redirect URI, which only answers after authorize. Click Edit and enter the Launch URL Chartside shows for your organization.`;
  }
  return undefined;
}

/** An API Access table, read-only: a tick where Read or Write was registered. */
export function apiAccessTable(
  title: string,
  context: ApiTick['context'],
  ticks: readonly ApiTick[],
): SafeHtml {
  const mark = (tick: ApiTick) =>
    isTicked(ticks, tick)
      ? html`&#10003;<span class="sr-only"> ticked</span>`
      : html`<span class="muted">&ndash;</span>`;
  const rows = API_RESOURCES.map(
    (resource) =>
      html`<tr><th scope="row">${resource}</th><td class="tick">${mark({ context, resource, access: 'read' })}</td><td class="tick">${mark({ context, resource, access: 'write' })}</td></tr>`,
  );
  return html`<table><caption class="sr-only">${title}</caption><thead><tr><th scope="col">${title}</th><th scope="col" class="tick">Read</th><th scope="col" class="tick">Write</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export interface AppDetailInput {
  app: SandboxAppRegistration;
  fhirBase: string;
  tenant: string;
  viewer: ConsoleViewer;
  notice?: string | undefined;
}

function testingPanel(app: SandboxAppRegistration, tenant: string): SafeHtml {
  if ((app.persona ?? 'provider') === 'system') {
    return html`<section class="card"><h2>Testing</h2><p class="muted">A System application is not launched from a chart: it asks the token endpoint for system/ scopes with its own credentials.</p></section>`;
  }
  return html`<section class="card">
<div class="panel-title"><h2>Testing</h2>
<a class="button" href="${appPath(app)}/test-sandbox">Test Sandbox</a></div>
<p class="muted">Launch this app against the sandbox tenant <code>${tenant}</code> with its synthetic patients.</p>
</section>`;
}

function scopesRow(app: SandboxAppRegistration): SafeHtml {
  const identity = ['openid', 'fhirUser', 'profile', 'launch', 'online_access'];
  if (app.accessType === 'offline') identity.push('offline_access');
  return detailRow(
    'Scopes',
    html`<code id="registered-scopes">${resourceScopes(app.scopes).join(' ')}</code>
<p class="hint">From the API Access ticks. A launch is granted the scopes it requests that are among these, plus any of ${identity.join(', ')} it requests.</p>`,
  );
}

export function appDetailPage({ app, fhirBase, tenant, viewer, notice }: AppDetailInput): string {
  const [primary, ...additional] = app.redirectUris;
  const details = app.details ?? {};
  const warning = launchUriWarning(app);
  const ticks = ticksOfScopes(app.scopes);
  return consolePage(
    app.name,
    html`<p><a href="${CONSOLE_APPS_PATH}">&larr; My Applications</a></p>
${noticeBanner(notice)}
${testingPanel(app, tenant)}
<section class="card">
<p class="muted">Application Details</p>
<h1>${app.name}</h1>
<dl>
${detailRow('Application ID', html`<code>${app.applicationId}</code>`)}
${detailRow('Client ID', html`<code id="client-id">${app.clientId}</code>`)}
${detailRow('Application Owner', details.owner ?? html`<span class="muted">Not recorded</span>`)}
${detailRow('Application Type', typeLabel(app))}
${detailRow('Type of Access', app.accessType === 'offline' ? 'Offline' : 'Online')}
${detailRow('Application Privacy', privacyOf(app) === 'confidential' ? 'Confidential' : 'Public')}
${detailRow('SMART Version', (app.smartVersion ?? 'v1') === 'v2' ? 'SMART v2' : 'SMART v1')}
${detailRow('Intended Users', list(details.intendedUsers ?? ['Clinical Team']))}
${detailRow('Intended Purposes', list(details.intendedPurposes ?? ['Clinical Tools']))}
${detailRow('Default FHIR Version', details.defaultFhirVersion ?? 'R4')}
${detailRow('Product Family', details.productFamily ?? 'Millennium')}
${detailRow('FHIR Service Root (iss)', fhirBase)}
</dl>
<p><a href="${systemAccountPath(app)}">Cerner Central System Account Details</a></p>
<p class="muted">The Client Secret and the JSON Web Key Set URL are on Cerner Central.</p>
</section>
<section class="card" aria-labelledby="uris-heading">
<div class="panel-title"><h2 id="uris-heading">URIs</h2><a class="button secondary small" href="${appPath(app)}/edit">Edit</a></div>
${warning ? html`<div class="warning" role="note" id="launch-uri-warning"><strong>Check the SMART Launch URI.</strong> ${warning}</div>` : ''}
<dl>
${detailRow('Redirect URI', primary ?? '')}
${detailRow('Additional Redirect URIs', additional.length > 0 ? list(additional) : 'None')}
${detailRow('SMART Launch URI', app.launchUri)}
</dl>
</section>
<section class="card">
<h2>API Access</h2>
${apiTablesFor(app.persona ?? 'provider').map((table) => apiAccessTable(table.title, table.context, ticks))}
<dl style="margin-top:16px">${scopesRow(app)}</dl>
</section>`,
    viewer,
  );
}

export interface EditUrisInput {
  app: SandboxAppRegistration;
  session: ConsoleSession;
  redirectUris: string[];
  launchUri: string;
  errors: FieldErrors;
  /** Focus this Redirect URI row (the one "+ Add more" just added). */
  focusRow?: number;
}

/** "Edit" for the URIs: the guide's "swap this value between sandbox and prod tests". */
export function editUrisPage(input: EditUrisInput): string {
  return consolePage(
    `Edit URIs: ${input.app.name}`,
    html`<p><a href="${appPath(input.app)}">&larr; ${input.app.name}</a></p>
<section class="card">
<h1>Edit URIs</h1>
${errorSummary(Object.keys(input.errors).length)}
<form method="post" action="${appPath(input.app)}/edit" novalidate>
${csrfField(input.session)}
<button type="submit" name="action" value="save" class="sr-only" tabindex="-1" aria-hidden="true">Save</button>
${uriFields(input.redirectUris, input.launchUri, input.errors, input.focusRow)}
<div class="actions"><a class="button secondary" href="${appPath(input.app)}">Cancel</a><button type="submit" name="action" value="save">Save</button></div>
</form>
</section>`,
    { session: input.session, path: `${appPath(input.app)}/edit` },
  );
}

/** Redirect URI, the additional ones with + Add more, and the SMART Launch URI (wizard step 1 and Edit). */
export function uriFields(
  redirectUris: readonly string[],
  launchUri: string,
  errors: FieldErrors,
  focusRow?: number,
): SafeHtml {
  const rows = redirectUris.length > 0 ? redirectUris : [''];
  const inputs = rows.map((uri, index) =>
    textInput({
      name: index === 0 ? 'redirect_uri' : `redirect_uri_${index}`,
      label: index === 0 ? 'Redirect URI' : `Additional Redirect URI ${index}`,
      value: uri,
      type: 'url',
      error: errors[index === 0 ? 'redirect_uri' : `redirect_uri_${index}`],
      ...(index === 0
        ? { hint: 'The OAuth callback after authorize. Leave an additional row empty to remove it.' }
        : {}),
      autofocus: focusRow === index,
    }),
  );
  return html`${inputs}
<button type="submit" name="action" value="add-redirect-uri" class="secondary small" formnovalidate>+ Add more</button>
${textInput({ name: 'smart_launch_uri', label: 'SMART Launch URI', value: launchUri, type: 'url', error: errors.smart_launch_uri, hint: 'The URL Cerner opens when the clinician launches the app from PowerChart. One only.' })}`;
}
