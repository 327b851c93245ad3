/**
 * Code Console and Cerner Central pages as the user's guide describes them: My Applications,
 * the application detail page with its Testing panel, the system account, and the two Test
 * Sandbox steps ("Select a Patient", then "Ready to launch").
 */
import type { CdsCallOutcome } from './cds-client.ts';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxPatient } from './data.ts';
import { html, page, type SafeHtml } from './html.ts';

export const CONSOLE_APPS_PATH = '/developer/smart-on-fhir/apps';

export function appPath(app: SandboxAppRegistration): string {
  return `${CONSOLE_APPS_PATH}/${encodeURIComponent(app.applicationId)}`;
}

export function systemAccountPath(app: SandboxAppRegistration): string {
  return `/system-accounts/${encodeURIComponent(app.clientId)}`;
}

function privacy(app: SandboxAppRegistration): string {
  return app.secret !== undefined || app.jwksUrl !== undefined ? 'Confidential' : 'Public';
}

function appType(app: SandboxAppRegistration): string {
  return (app.persona ?? 'provider') === 'provider' ? 'Provider' : 'Patient';
}

export function myApplicationsPage(apps: readonly SandboxAppRegistration[]): string {
  const rows = apps.map(
    (app) => html`<tr>
<td><a href="${appPath(app)}">${app.name}</a></td>
<td>${appType(app)}</td>
<td><code>${app.applicationId}</code></td>
<td><code>${app.clientId}</code></td>
</tr>`,
  );
  return page(
    'My Applications',
    'console',
    html`<section class="card">
<div class="panel-title"><h1>My Applications</h1>
<button type="button" disabled title="Registrations come from the sandbox configuration">+ New Application</button></div>
<table>
<thead><tr><th>Name</th><th>Application Type</th><th>Application ID</th><th>Client ID</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${apps.length === 0 ? html`<p class="muted">No applications are registered. Start the sandbox with --client-id or --config.</p>` : ''}
</section>`,
  );
}

function detailRow(label: string, value: SafeHtml | string): SafeHtml {
  return html`<dt>${label}</dt><dd>${value}</dd>`;
}

export interface AppDetailInput {
  app: SandboxAppRegistration;
  fhirBase: string;
  tenant: string;
}

export function appDetailPage({ app, fhirBase, tenant }: AppDetailInput): string {
  const [primary, ...additional] = app.redirectUris;
  return page(
    app.name,
    'console',
    html`<p><a href="${CONSOLE_APPS_PATH}">&larr; My Applications</a></p>
<section class="card">
<div class="panel-title"><h2>Testing</h2>
<a class="button" href="${appPath(app)}/test-sandbox">Test Sandbox</a></div>
<p class="muted">Launch this app against the sandbox tenant <code>${tenant}</code> with its synthetic patients.</p>
</section>
<section class="card">
<h1>${app.name}</h1>
<dl>
${detailRow('Application ID', html`<code>${app.applicationId}</code>`)}
${detailRow('Client ID', html`<code>${app.clientId}</code>`)}
${detailRow('Application Type', appType(app))}
${detailRow('Type of Access', app.accessType === 'offline' ? 'Offline' : 'Online')}
${detailRow('Application Privacy', privacy(app))}
${detailRow('SMART Version', (app.smartVersion ?? 'v1') === 'v2' ? 'SMART v2' : 'SMART v1')}
${detailRow('Intended Users', 'Clinical Team')}
${detailRow('Intended Purposes', 'Clinical Tools')}
${detailRow('Redirect URI', primary ?? '')}
${detailRow('Additional Redirect URIs', additional.length > 0 ? html`${additional.map((uri) => html`<div>${uri}</div>`)}` : 'None')}
${detailRow('SMART Launch URI', app.launchUri)}
${detailRow('Default FHIR Version', 'R4')}
${detailRow('FHIR Service Root (iss)', fhirBase)}
${detailRow('Scopes', app.scopes.join(' '))}
</dl>
<p><a href="${systemAccountPath(app)}">Cerner Central System Account Details</a></p>
</section>`,
  );
}

export function systemAccountPage(app: SandboxAppRegistration, revealSecret: boolean): string {
  let secret: SafeHtml;
  if (app.secret === undefined) secret = html`<span class="muted">None</span>`;
  else if (revealSecret) secret = html`<code>${app.secret}</code>`;
  else
    secret = html`&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull;&bull; <a href="${systemAccountPath(app)}?view=secret">View</a>`;
  return page(
    'System Account',
    'console',
    html`<p><a href="${appPath(app)}">&larr; ${app.name}</a></p>
<section class="card">
<h1>Cerner Central System Accounts</h1>
<dl>
${detailRow('Account ID', html`<code>${app.clientId}</code>`)}
${detailRow('Account Name', app.name)}
${detailRow('Account Type', 'LIMITED')}
${detailRow('Production', 'Yes')}
${detailRow('Status', 'ACTIVE')}
${detailRow('Secret', secret)}
${detailRow('JSON Web Key Set URL', app.jwksUrl ?? html`<span class="muted">Not configured</span>`)}
</dl>
</section>`,
  );
}

export interface SelectPatientInput {
  app: SandboxAppRegistration;
  patients: readonly SandboxPatient[];
  selected?: string;
  banner: 'yes' | 'no';
  error?: string;
}

export function selectPatientPage(input: SelectPatientInput): string {
  const rows = input.patients.map(
    (patient) => html`<tr>
<td><input type="radio" name="patient" id="patient-${patient.id}" value="${patient.id}" required${input.selected === patient.id ? html` checked` : ''}></td>
<td class="nowrap"><label for="patient-${patient.id}" style="margin:0;font-weight:500">${patient.given} ${patient.family}</label></td>
<td>${patient.gender === 'female' ? 'Female' : 'Male'}</td>
<td class="nowrap">${patient.birthDate}</td>
<td>${patient.description}</td>
</tr>`,
  );
  const bannerRadio = (value: 'yes' | 'no', label: string) =>
    html`<label style="display:inline;margin-right:16px;font-weight:400"><input type="radio" name="banner" value="${value}"${input.banner === value ? html` checked` : ''}> ${label}</label>`;
  return page(
    'Testing Details',
    'console',
    html`<section class="card">
<h1>Testing Details</h1>
<p class="muted">${input.app.name}: step 1 of 2</p>
${input.error ? html`<div class="error" role="alert">${input.error}</div>` : ''}
<form method="get" action="${appPath(input.app)}/test-sandbox/ready">
<h2>Select a Patient</h2>
<table>
<thead><tr><th></th><th>Name</th><th>Sex</th><th>DOB</th><th>Description</th></tr></thead>
<tbody>${rows}</tbody>
</table>
<h2 style="margin-top:20px">Do you want to display a demographics bar?</h2>
${bannerRadio('yes', 'Yes')}${bannerRadio('no', 'No')}
<div class="actions"><a class="button secondary" href="${appPath(input.app)}">Cancel</a><button type="submit">Next</button></div>
</form>
</section>`,
  );
}

export interface ReadyToLaunchInput {
  app: SandboxAppRegistration;
  patient: SandboxPatient;
  banner: 'yes' | 'no';
  launcherUrl: string;
  /** The answers to the `patient-view` hook fired when this chart opened (none without CDS services). */
  cds?: CdsCallOutcome[];
}

function cdsSection(outcomes: CdsCallOutcome[]) {
  if (outcomes.length === 0) return '';
  const cards = outcomes.flatMap((outcome) => outcome.cards);
  const errors = outcomes.filter((outcome) => outcome.error);
  return html`<section class="card" id="cds-cards">
<h2>CDS Hooks: patient-view</h2>
${cards.length === 0 ? html`<p class="muted">No cards.</p>` : ''}
${cards.map(
  (card) => html`<div class="cds-card cds-${card.indicator}" data-indicator="${card.indicator}">
<p><strong>${card.summary}</strong></p>
${card.detail ? html`<p>${card.detail}</p>` : ''}
<p class="muted">Source: ${card.source}</p>
${card.links.map((link) => html`<a class="button secondary" href="${link.url}" target="_blank" rel="noopener">${link.label}</a> `)}
</div>`,
)}
${errors.map((outcome) => html`<div class="error" role="alert">${outcome.url}: ${outcome.error ?? ''}</div>`)}
</section>`;
}

export function readyToLaunchPage(input: ReadyToLaunchInput): string {
  return page(
    'Ready to launch',
    'console',
    html`<section class="card">
<h1>Testing Details</h1>
<p class="muted">${input.app.name}: step 2 of 2</p>
<h2>Ready to launch</h2>
<p>Patient: <strong>${input.patient.given} ${input.patient.family}</strong>. Demographics bar: ${input.banner === 'yes' ? 'Yes' : 'No'}.</p>
<p>Sign in to the sandbox with these provider credentials:</p>
<dl>
<dt>Username</dt><dd><code>portal</code></dd>
<dt>Password</dt><dd><code>portal</code></dd>
</dl>
<div class="actions">
<a class="button secondary" href="${appPath(input.app)}/test-sandbox?patient=${input.patient.id}&amp;banner=${input.banner}">Back</a>
<a class="button" id="launch" href="${input.launcherUrl}" target="_blank" rel="noopener">Launch</a>
</div>
</section>
${cdsSection(input.cds ?? [])}`,
  );
}
