/**
 * The app's pages, rendered on the server: no script, no CDN, one stylesheet of its own. Every
 * value is escaped on the way in (the `html` tag); the EHR's style arrives as CSS custom
 * properties already checked by smart-style.ts.
 */
import type { Encounter, HumanName, Patient } from 'fhir/r4.js';
import type { LaunchContext } from '../../packages/client/src/index.ts';
import type { LatestVital } from './vitals.ts';

class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(escapeHtml).join('');
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(
    strings.reduce((out, part, i) => out + part + (i < values.length ? escapeHtml(values[i]) : ''), ''),
  );
}

export interface Note {
  readonly at: string;
  readonly text: string;
}

/** What the chart page shows. */
export interface ChartView {
  readonly context: LaunchContext;
  readonly patient: Patient | null;
  readonly encounter: Encounter | null;
  readonly vitals: readonly LatestVital[] | { readonly error: string };
  readonly notes: readonly Note[];
  /** Ties the page's forms to this launch (server.ts checks it). */
  readonly formToken: string;
}

export function page(title: string, body: Html, style: { nonce: string; lines: readonly string[] }): string {
  const themed = style.lines.length
    ? html`<style nonce="${style.nonce}">:root { ${new Html(style.lines.join(' '))} }</style>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Notes</title>
<link rel="stylesheet" href="/app.css">
${themed}
</head>
<body>
${body}
</body>
</html>`.text;
}

export function chartBody(view: ChartView): Html {
  const { context, patient, encounter } = view;
  // SMART need_patient_banner: false when the EHR already shows who the patient is.
  const banner = context.need_patient_banner === false ? '' : patientBanner(patient, context);
  return html`${banner}<main>
<section class="card" aria-labelledby="encounter">
<h2 id="encounter">Encounter</h2>
${encounterFacts(encounter, context)}
</section>
<section class="card" aria-labelledby="vitals">
<h2 id="vitals">Last vital signs</h2>
${vitalsTable(view.vitals)}
</section>
<section class="card" aria-labelledby="notes">
<h2 id="notes">Notes</h2>
${notesList(view.notes)}
<form method="post" action="/notes">
<input type="hidden" name="launch" value="${context.id}">
<input type="hidden" name="token" value="${view.formToken}">
<label for="note">New note</label>
<textarea id="note" name="text" rows="3" maxlength="2000" required></textarea>
<button type="submit">Add note</button>
</form>
</section>
<form method="post" action="/end" class="end">
<input type="hidden" name="launch" value="${context.id}">
<input type="hidden" name="token" value="${view.formToken}">
<button type="submit">End session</button>
<span class="muted">Revokes this launch’s access to the EHR.</span>
</form>
</main>`;
}

export function patientName(patient: Patient | null): string {
  const names = patient?.name ?? [];
  const name: HumanName | undefined =
    names.find((n) => n.use === 'official') ?? names.find((n) => n.use === 'usual') ?? names[0];
  if (!name) return 'Unknown patient';
  const built = [...(name.given ?? []), name.family].filter(Boolean).join(' ');
  return built || name.text || 'Unknown patient';
}

function patientBanner(patient: Patient | null, context: LaunchContext): Html {
  const facts = [patient?.gender, patient?.birthDate && `born ${patient.birthDate}`].filter(Boolean);
  return html`<header class="banner" role="banner">
<h1>${patientName(patient)}</h1>
<p>${facts.join(', ')} <span class="muted">${context.patient ?? ''}</span></p>
</header>`;
}

function encounterFacts(encounter: Encounter | null, context: LaunchContext): Html {
  if (!encounter) return html`<p class="muted">No encounter in this launch.</p>`;
  const type = encounter.type?.[0]?.text ?? encounter.type?.[0]?.coding?.[0]?.display ?? 'Encounter';
  return html`<dl>
<div><dt>Type</dt><dd>${type}</dd></div>
<div><dt>Status</dt><dd>${encounter.status}</dd></div>
<div><dt>Class</dt><dd>${encounter.class?.display ?? encounter.class?.code ?? '—'}</dd></div>
<div><dt>Started</dt><dd>${encounter.period?.start ?? '—'}</dd></div>
<div><dt>Reference</dt><dd class="muted">${context.encounter}</dd></div>
</dl>`;
}

function vitalsTable(vitals: ChartView['vitals']): Html {
  if ('error' in vitals) return html`<p class="error">Vital signs could not be read (${vitals.error}).</p>`;
  if (vitals.length === 0) return html`<p class="muted">No vital signs recorded.</p>`;
  const rows = vitals.map(
    (vital) =>
      html`<tr><th scope="row">${vital.label}</th><td>${vital.value}</td><td class="muted">${vital.at ?? ''}</td></tr>`,
  );
  return html`<table><thead><tr><th>Sign</th><th>Value</th><th>Taken</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function notesList(notes: readonly Note[]): Html {
  if (notes.length === 0) return html`<p class="muted">No notes yet.</p>`;
  return html`<ol class="notes">${notes.map((note) => html`<li><time>${note.at}</time> ${note.text}</li>`)}</ol>`;
}

/** A page that only says something: the launch is over, unknown, or the EHR failed. */
export function messageBody(title: string, text: string, requestId?: string | null): Html {
  return html`<main><section class="card message">
<h1>${title}</h1>
<p>${text}</p>
${requestId ? html`<p class="muted">Chartside request id ${requestId}</p>` : ''}
</section></main>`;
}
