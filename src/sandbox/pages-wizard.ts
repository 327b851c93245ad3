/**
 * The New Application wizard, one page per step (the guide: Basic Information with Privacy,
 * SMART Version and URIs below it; Product Selection; API Access; then the summary and
 * Submit). Every step posts to itself with Back or Next; the values live in the console session.
 */
import { API_RESOURCES, type ApiTable, apiTablesFor, isTicked, tickField } from './api-access.ts';
import type { ConsoleSession } from './console-session.ts';
import { html, type SafeHtml } from './html.ts';
import { CONSOLE_APPS_PATH, detailRow, NEW_APPLICATION_PATH, uriFields } from './pages-console.ts';
import {
  checkboxGroup,
  choicesOf,
  consolePage,
  csrfField,
  errorSummary,
  radioGroup,
  textInput,
} from './pages-form.ts';
import {
  type FieldErrors,
  INTENDED_PURPOSES,
  INTENDED_USERS,
  PRODUCTS,
  type RegistrationDraft,
  registrationOfDraft,
  WIZARD_STEPS,
  type WizardStep,
} from './registration-form.ts';

export function wizardPath(step: WizardStep): string {
  return `${NEW_APPLICATION_PATH}/${step}`;
}

export interface WizardPageInput {
  step: WizardStep;
  draft: RegistrationDraft;
  session: ConsoleSession;
  errors: FieldErrors;
  /** Focus this Redirect URI row (the one "+ Add more" just added). */
  focusRow?: number;
}

function stepList(current: WizardStep): SafeHtml {
  const items = WIZARD_STEPS.map(
    (step, index) =>
      html`<li${step.slug === current ? html` aria-current="step"` : ''}>${index + 1}. ${step.title}</li>`,
  );
  return html`<ol class="steps" aria-label="New Application steps">${items}</ol>`;
}

/**
 * Next comes first in the markup (visually hidden) so that Enter in a field moves on instead
 * of pressing "+ Add more" or Back; the visible buttons follow.
 */
function actions(step: WizardStep): SafeHtml {
  const first = step === 'basic-information';
  const last = step === 'review';
  const forward = last ? 'Submit' : 'Next';
  return html`<div class="actions">
<a class="button secondary" href="${CONSOLE_APPS_PATH}">Cancel</a>
${first ? '' : html`<button type="submit" name="action" value="back" class="secondary" formnovalidate>Back</button>`}
<button type="submit" name="action" value="${last ? 'submit' : 'next'}">${forward}</button>
</div>`;
}

/** The wizard's one-of-several questions: the legend, then each choice's value and label. */
const QUESTIONS = {
  application_type: ['Application Type', { provider: 'Provider', patient: 'Patient', system: 'System' }],
  type_of_access: ['Type of Access', { offline: 'Offline', online: 'Online' }],
  application_privacy: ['Application Privacy', { confidential: 'Confidential', public: 'Public' }],
  smart_version: ['SMART Version', { v1: 'SMART v1', v2: 'SMART v2' }],
  default_fhir_version: ['Default FHIR Version', { R4: 'R4', DSTU2: 'DSTU2' }],
  product_family: ['Product Family', { Millennium: 'Millennium', Soarian: 'Soarian' }],
} satisfies Record<string, readonly [legend: string, labels: Record<string, string>]>;

/** One question as radios: the draft's answer ticked, the hint and the check's message below. */
function question(
  name: keyof typeof QUESTIONS,
  answer: string,
  errors: FieldErrors,
  hint?: string,
): SafeHtml {
  const [legend, labels] = QUESTIONS[name];
  const choices = Object.entries(labels).map(([value, label]) => ({ value, label }));
  return radioGroup({ name, legend, choices, value: answer, error: errors[name], hint });
}

function basicInformation(draft: RegistrationDraft, errors: FieldErrors, focusRow?: number): SafeHtml {
  return html`<h2>Basic Information</h2>
${textInput({ name: 'application_name', label: 'Application Name', value: draft.name, error: errors.application_name, hint: 'Shown to clinicians on the consent screen and in My Applications.' })}
${textInput({ name: 'application_owner', label: 'Application Owner', value: draft.owner, error: errors.application_owner, hint: 'Your company name.' })}
${question('application_type', draft.type, errors, 'Provider: a clinician launches the app in context. It decides which products and scopes the next steps show.')}
${question('type_of_access', draft.access, errors, 'Offline gives the app offline_access and a refresh token. Online: online_access only, no refresh token.')}
<h2 style="margin-top:28px">Privacy, SMART Version, and URIs</h2>
${question('application_privacy', draft.privacy, errors, 'Confidential: Cerner issues a client secret (and accepts JWT assertions). Public: no secret, PKCE required.')}
${question('smart_version', draft.smartVersion, errors, 'SMART v1 scopes read .read/.write; SMART v2 scopes read .rs/.cud.')}
${checkboxGroup({ name: 'intended_users', legend: 'Intended Users', checked: draft.intendedUsers, error: errors.intended_users, choices: choicesOf(INTENDED_USERS) })}
${checkboxGroup({ name: 'intended_purposes', legend: 'Intended Purposes', checked: draft.intendedPurposes, error: errors.intended_purposes, choices: choicesOf(INTENDED_PURPOSES) })}
${uriFields(draft.redirectUris, draft.launchUri, errors, focusRow)}
${question('default_fhir_version', draft.fhirVersion, errors)}`;
}

function productSelection(draft: RegistrationDraft, errors: FieldErrors): SafeHtml {
  return html`<h2>Product Selection</h2>
<p class="muted">Application Type: ${draft.type === 'patient' ? 'Patient' : draft.type === 'system' ? 'System' : 'Provider'}</p>
${question('product_family', draft.productFamily, errors, 'Millennium is the Oracle Health EHR platform the sandbox tenant runs.')}
${checkboxGroup({ name: 'products', legend: 'Select Products', checked: draft.products, error: errors.products, choices: choicesOf(PRODUCTS), hint: 'The FHIR R4 product is the FHIR surface the next step grants; the EHR APIs are proprietary (CCL, MPages).' })}`;
}

function tickTable(table: ApiTable, draft: RegistrationDraft): SafeHtml {
  const box = (resource: string, access: 'read' | 'write', label: string) => {
    const tick = { context: table.context, resource, access };
    const id = tickField(tick).replaceAll(':', '-');
    return html`<td class="tick"><input type="checkbox" id="${id}" name="${tickField(tick)}"${isTicked(draft.ticks, tick) ? html` checked` : ''}><label for="${id}" class="sr-only">${label}</label></td>`;
  };
  const rows = API_RESOURCES.map(
    (resource) =>
      html`<tr><th scope="row">${resource}</th>${box(resource, 'read', 'Read')}${box(resource, 'write', 'Write')}</tr>`,
  );
  return html`<h3 style="margin-top:20px">${table.title}</h3>
<p class="hint">${table.hint}</p>
<table aria-label="${table.title}"><thead><tr><th scope="col">Resource</th><th scope="col" class="tick">Read</th><th scope="col" class="tick">Write</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function apiAccess(draft: RegistrationDraft, errors: FieldErrors): SafeHtml {
  const tables = draft.type === '' ? [] : apiTablesFor(draft.type);
  return html`<h2>API Access</h2>
<p class="muted">Tick Read (and Write if the app pushes data back) on the resources the app uses. Cerner reviews any scope inflation: request only what the app needs.</p>
${errors.api_access ? html`<p class="field-error" id="api_access-error">${errors.api_access}</p>` : ''}
${tables.map((table) => tickTable(table, draft))}`;
}

function review(draft: RegistrationDraft): SafeHtml {
  const app = registrationOfDraft(draft);
  const [primary, ...additional] = app.redirectUris;
  return html`<h2>Review</h2>
<p class="muted">Check the summary, then Submit. Back keeps what you entered.</p>
<dl>
${detailRow('Application Name', app.name)}
${detailRow('Application Owner', app.details?.owner ?? '')}
${detailRow('Application Type', draft.type === 'patient' ? 'Patient' : draft.type === 'system' ? 'System' : 'Provider')}
${detailRow('Type of Access', app.accessType === 'offline' ? 'Offline' : 'Online')}
${detailRow('Application Privacy', app.privacy === 'public' ? 'Public' : 'Confidential')}
${detailRow('SMART Version', app.smartVersion === 'v2' ? 'SMART v2' : 'SMART v1')}
${detailRow('Intended Users', (app.details?.intendedUsers ?? []).join(', '))}
${detailRow('Intended Purposes', (app.details?.intendedPurposes ?? []).join(', '))}
${detailRow('Redirect URI', primary ?? 'None')}
${detailRow('Additional Redirect URIs', additional.length > 0 ? additional.join(' ') : 'None')}
${detailRow('SMART Launch URI', app.launchUri || 'None')}
${detailRow('Default FHIR Version', app.details?.defaultFhirVersion ?? 'R4')}
${detailRow('Product Family', app.details?.productFamily ?? 'Millennium')}
${detailRow('Products', (app.details?.products ?? []).join('; '))}
${detailRow('Scopes', html`<code>${app.scopes.join(' ')}</code>`)}
</dl>`;
}

export function wizardPage(input: WizardPageInput): string {
  const { step, draft, errors } = input;
  const title = WIZARD_STEPS.find((candidate) => candidate.slug === step)?.title ?? '';
  let fields: SafeHtml;
  if (step === 'basic-information') fields = basicInformation(draft, errors, input.focusRow);
  else if (step === 'product-selection') fields = productSelection(draft, errors);
  else if (step === 'api-access') fields = apiAccess(draft, errors);
  else fields = review(draft);
  const forward = step === 'review' ? 'submit' : 'next';
  return consolePage(
    `New Application: ${title}`,
    html`<p><a href="${CONSOLE_APPS_PATH}">&larr; My Applications</a></p>
<section class="card">
<h1>New Application</h1>
${stepList(step)}
${errorSummary(Object.keys(errors).length)}
<form method="post" action="${wizardPath(step)}" novalidate>
${csrfField(input.session)}
<button type="submit" name="action" value="${forward}" class="sr-only" tabindex="-1" aria-hidden="true">${forward === 'submit' ? 'Submit' : 'Next'}</button>
${fields}
${actions(step)}
</form>
</section>`,
    { session: input.session, path: wizardPath(step) },
  );
}
