/** Form controls and small pieces the console pages share. Every value goes through `html`. */
import { html, type SafeHtml } from '../../html/escape.ts';
import { CSRF_FIELD } from '../csrf.ts';

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

interface FieldBase {
  /** The form field name; also the element id. */
  name: string;
  label: string;
  hint?: string | SafeHtml;
  error?: string | undefined;
}

function describedBy(name: string, hint: unknown, error: unknown): string | null {
  const ids = [hint ? `${name}-hint` : null, error ? `${name}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : null;
}

function attr(name: string, value: string | null | undefined | false): SafeHtml {
  return value === null || value === undefined || value === false ? html`` : html` ${name}="${value}"`;
}

function notes(name: string, hint: FieldBase['hint'], error: FieldBase['error']): SafeHtml {
  return html`${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}${error ? html`<p class="error-text" id="${name}-error">${error}</p>` : ''}`;
}

function row(label: SafeHtml, control: SafeHtml, extraClass = ''): SafeHtml {
  return html`<div class="field${extraClass ? ` ${extraClass}` : ''}"><div class="label">${label}</div><div>${control}</div></div>`;
}

export interface TextFieldInput extends FieldBase {
  value: string | null | undefined;
  type?: 'text' | 'url' | 'email' | 'password';
  placeholder?: string;
  autocomplete?: string;
  required?: boolean;
  spellcheck?: boolean;
  className?: string;
}

export function textField(input: TextFieldInput): SafeHtml {
  const control = html`<input type="${input.type ?? 'text'}" id="${input.name}" name="${input.name}" value="${input.value ?? ''}"${attr('placeholder', input.placeholder)}${attr('autocomplete', input.autocomplete ?? 'off')}${attr('aria-describedby', describedBy(input.name, input.hint, input.error))}${input.error ? html` aria-invalid="true"` : ''}${input.required ? html` required` : ''}${input.spellcheck === false ? html` spellcheck="false"` : ''}>`;
  return row(
    html`<label for="${input.name}">${input.label}</label>`,
    html`${control}${notes(input.name, input.hint, input.error)}`,
    input.className,
  );
}

export interface TextAreaInput extends FieldBase {
  value: string;
  rows?: number;
}

export function textArea(input: TextAreaInput): SafeHtml {
  return html`<label for="${input.name}" class="sr-only">${input.label}</label><textarea id="${input.name}" name="${input.name}" rows="${input.rows ?? 3}" spellcheck="false"${attr('aria-describedby', describedBy(input.name, input.hint, input.error))}${input.error ? html` aria-invalid="true"` : ''}>${input.value}</textarea>${notes(input.name, input.hint, input.error)}`;
}

export interface SwitchInput extends FieldBase {
  checked: boolean;
  className?: string;
}

/** A checkbox shown as a switch (role="switch"): Space toggles it, a screen reader says on/off. */
export function switchField(input: SwitchInput): SafeHtml {
  return row(
    html`<label for="${input.name}">${input.label}</label>`,
    html`<div class="switch-row"><input type="checkbox" role="switch" id="${input.name}" name="${input.name}" value="on"${input.checked ? html` checked` : ''}${attr('aria-describedby', describedBy(input.name, input.hint, input.error))}></div>${notes(input.name, input.hint, input.error)}`,
    input.className,
  );
}

export interface SelectInput extends FieldBase {
  value: string;
  options: readonly { value: string; label: string }[];
  className?: string;
}

export function selectField(input: SelectInput): SafeHtml {
  return row(
    html`<label for="${input.name}">${input.label}</label>`,
    html`<select id="${input.name}" name="${input.name}"${attr('aria-describedby', describedBy(input.name, input.hint, input.error))}${input.error ? html` aria-invalid="true"` : ''}>${input.options.map((option) => html`<option value="${option.value}"${option.value === input.value ? html` selected` : ''}>${option.label}</option>`)}</select>${notes(input.name, input.hint, input.error)}`,
    input.className,
  );
}

export interface RadioInput extends FieldBase {
  value: string;
  options: readonly { value: string; label: string }[];
}

export function radioField(input: RadioInput): SafeHtml {
  return html`<fieldset class="field"${attr('aria-describedby', describedBy(input.name, input.hint, input.error))}><legend class="sr-only">${input.label}</legend><div class="label" aria-hidden="true">${input.label}</div><div><div class="choices">${input.options.map((option) => html`<label><input type="radio" name="${input.name}" value="${option.value}"${option.value === input.value ? html` checked` : ''}> ${option.label}</label>`)}</div>${notes(input.name, input.hint, input.error)}</div></fieldset>`;
}

export interface CopyInput {
  id: string;
  label: string;
  value: string;
  hint?: string | SafeHtml;
  className?: string;
}

/** A read-only value with a Copy button (the button appears when the console script runs). */
export function copyField(input: CopyInput): SafeHtml {
  return row(
    html`<label for="${input.id}">${input.label}</label>`,
    html`<div class="copy"><input type="text" id="${input.id}" value="${input.value}" readonly spellcheck="false"${attr('aria-describedby', input.hint ? `${input.id}-hint` : null)}><button type="button" class="secondary small" data-copy="${input.id}" aria-label="Copy ${input.label}" hidden>Copy</button></div>${input.hint ? html`<p class="hint" id="${input.id}-hint">${input.hint}</p>` : ''}`,
    input.className,
  );
}

export function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'info' | '' = ''): SafeHtml {
  return html`<span class="badge${tone ? ` ${tone}` : ''}">${text}</span>`;
}

/**
 * Sandbox or production, for every launch, source and key. Production looks different on
 * purpose (dark red, upper case): those rows are real patients.
 */
export function environmentBadge(environment: string): SafeHtml {
  const production = environment === 'production';
  return html`<span class="badge env-${production ? 'production' : 'sandbox'}">${production ? 'Production' : 'Sandbox'}</span>`;
}

/** `2026-06-09 14:30:05 UTC`: fixed, sortable, and the same for every reader. */
export function when(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return html`${iso}`;
  const text = `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${date.toISOString()}" class="nowrap num">${text}</time>`;
}

/** "3 days", "5 hours": for key ages. */
export function age(iso: string, now = new Date()): string {
  const seconds = Math.max(0, (now.getTime() - Date.parse(iso)) / 1000);
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return 'less than a minute';
}
