/**
 * The two Test Sandbox steps of the Code Console ("Testing Details": Select a Patient, then
 * Ready to launch), and the CDS cards the opened chart shows (guide, "Test in the Cerner Code
 * Sandbox").
 */
import type { CdsCallOutcome } from './cds-client.ts';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxPatient } from './data.ts';
import { html, type SafeHtml } from './html.ts';
import { appPath } from './pages-console.ts';
import { type ConsoleViewer, consolePage } from './pages-form.ts';

export interface SelectPatientInput {
  app: SandboxAppRegistration;
  patients: readonly SandboxPatient[];
  selected?: string;
  banner: 'yes' | 'no';
  error?: string;
  viewer: ConsoleViewer;
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
  return consolePage(
    'Testing Details',
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
    input.viewer,
  );
}

export interface ReadyToLaunchInput {
  app: SandboxAppRegistration;
  patient: SandboxPatient;
  banner: 'yes' | 'no';
  launcherUrl: string;
  /** The answers to the `patient-view` hook fired when this chart opened (none without CDS services). */
  cds?: CdsCallOutcome[];
  viewer: ConsoleViewer;
}

function cdsSection(outcomes: CdsCallOutcome[]): SafeHtml | '' {
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
  return consolePage(
    'Ready to launch',
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
    input.viewer,
  );
}
