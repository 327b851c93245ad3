/**
 * Form pieces of the Code Console and Cerner Central pages: every input has a `<label for>` (or
 * its group a `<legend>`) with the guide's wording, and a check's message sits beside its field
 * and is tied to it with `aria-describedby`, so a person and a browser test find both by name.
 */
import type { ConsoleSession } from './console-session.ts';
import { CONSOLE_SIGN_OUT_PATH, signInUrl } from './console-session.ts';
import { html, type PageTheme, page, type SafeHtml } from './html.ts';

export interface Choice {
  value: string;
  label: string;
}

function fieldError(id: string, error: string | undefined): SafeHtml | '' {
  return error ? html`<p class="field-error" id="${id}-error">${error}</p>` : '';
}

function describedBy(id: string, error: string | undefined, hint: string | undefined): SafeHtml | '' {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter((part) => part !== '');
  return ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : '';
}

export interface TextInputOptions {
  name: string;
  label: string;
  value: string;
  error?: string | undefined;
  hint?: string;
  type?: 'text' | 'url' | 'password';
  placeholder?: string;
  autofocus?: boolean;
}

export function textInput(input: TextInputOptions): SafeHtml {
  const { name: id, error, hint } = input;
  return html`<div class="field"><label for="${id}">${input.label}</label>
<input type="${input.type ?? 'text'}" id="${id}" name="${id}" value="${input.value}" spellcheck="false"${input.placeholder ? html` placeholder="${input.placeholder}"` : ''}${input.autofocus ? html` autofocus` : ''}${error ? html` aria-invalid="true"` : ''}${describedBy(id, error, hint)}>
${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}${fieldError(id, error)}</div>`;
}

export interface GroupOptions {
  name: string;
  legend: string;
  choices: readonly Choice[];
  error?: string | undefined;
  hint?: string;
}

/** One choice of several (`<fieldset>` + `<legend>`, a `<label for>` per radio). */
export function radioGroup(input: GroupOptions & { value: string }): SafeHtml {
  const { name, error, hint } = input;
  const radios = input.choices.map((choice, index) => {
    const id = `${name}-${index}`;
    return html`<label class="choice" for="${id}"><input type="radio" id="${id}" name="${name}" value="${choice.value}"${choice.value === input.value ? html` checked` : ''}>${choice.label}</label>`;
  });
  return html`<fieldset class="field" id="${name}"${error ? html` aria-invalid="true"` : ''}${describedBy(name, error, hint)}><legend>${input.legend}</legend>
${radios}${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}${fieldError(name, error)}</fieldset>`;
}

/** Several choices: checkboxes named `<name>:<index>` (the form parser keeps one value per name). */
export function checkboxGroup(input: GroupOptions & { checked: readonly string[] }): SafeHtml {
  const { name, error, hint } = input;
  const boxes = input.choices.map((choice, index) => {
    const id = `${name}-${index}`;
    return html`<label class="choice" for="${id}"><input type="checkbox" id="${id}" name="${name}:${index}"${input.checked.includes(choice.value) ? html` checked` : ''}>${choice.label}</label>`;
  });
  return html`<fieldset class="field" id="${name}"${describedBy(name, error, hint)}><legend>${input.legend}</legend>
${boxes}${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : ''}${fieldError(name, error)}</fieldset>`;
}

export function choicesOf(labels: readonly string[]): Choice[] {
  return labels.map((label) => ({ value: label, label }));
}

export function csrfField(session: ConsoleSession): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${session.csrfToken}">`;
}

/** A one-line summary at the top of a form that did not pass its checks. */
export function errorSummary(count: number): SafeHtml | '' {
  if (count === 0) return '';
  return html`<div class="error" role="alert">${count === 1 ? 'One field needs' : `${count} fields need`} attention. See the message beside it.</div>`;
}

export function noticeBanner(notice: string | undefined): SafeHtml | '' {
  return notice ? html`<div class="notice" role="status">${notice}</div>` : '';
}

/** Who looks at a console page: the signed-in developer, or nobody yet (and where to come back). */
export interface ConsoleViewer {
  session: ConsoleSession | undefined;
  /** This page's path, to come back to after Sign in. */
  path: string;
}

function accountBar(viewer: ConsoleViewer): SafeHtml {
  if (!viewer.session) return html`<a class="button small" href="${signInUrl(viewer.path)}">Sign in</a>`;
  return html`<span>${viewer.session.username}</span><form class="inline-form" method="post" action="${CONSOLE_SIGN_OUT_PATH}">${csrfField(viewer.session)}<button type="submit" class="small">Sign out</button></form>`;
}

/** A Code Console or Cerner Central page, with the account in the header. */
export function consolePage(
  title: string,
  body: SafeHtml,
  viewer: ConsoleViewer,
  theme: PageTheme = 'console',
): string {
  return page(title, theme, body, accountBar(viewer));
}
