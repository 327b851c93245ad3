/**
 * The New Application wizard's values and their checks, one function per step. Pure: the
 * handlers (console-wizard.ts) keep the draft in the console session and the pages
 * (pages-wizard.ts) render it. Labels and options are the guide's own words.
 */
import { type ApiTick, apiTablesFor, scopesOfTicks, ticksOfForm } from './api-access.ts';
import { type ApplicationType, httpUrl, isAbsoluteUrl, type SandboxAppRegistration } from './config.ts';

export const WIZARD_STEPS = [
  { slug: 'basic-information', title: 'Basic Information' },
  { slug: 'product-selection', title: 'Product Selection' },
  { slug: 'api-access', title: 'API Access' },
  { slug: 'review', title: 'Review' },
] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number]['slug'];

export const INTENDED_USERS = [
  'Clinical Team',
  'Patient or Caregiver',
  'Administrative Staff',
  'Researcher',
] as const;
export const INTENDED_PURPOSES = [
  'Clinical Tools',
  'Patient-Provider Communication',
  'Care Coordination',
  'Administrative',
  'Population Health',
  'Research',
] as const;
export const FHIR_R4_PRODUCT = 'Oracle Health FHIR APIs for Millennium: FHIR R4, All';
export const EHR_APIS_PRODUCT = 'Oracle Health EHR APIs for Millennium';
export const PRODUCTS = [FHIR_R4_PRODUCT, EHR_APIS_PRODUCT] as const;

/** Redirect URIs an app may register (the Redirect URI and the additional ones). */
export const MAX_REDIRECT_URIS = 20;

export interface RegistrationDraft {
  name: string;
  owner: string;
  type: ApplicationType | '';
  access: 'offline' | 'online' | '';
  privacy: 'confidential' | 'public' | '';
  smartVersion: 'v1' | 'v2' | '';
  intendedUsers: string[];
  intendedPurposes: string[];
  /** The Redirect URI first, then the additional ones ("+ Add more"); empty rows allowed here. */
  redirectUris: string[];
  launchUri: string;
  fhirVersion: 'R4' | 'DSTU2' | '';
  productFamily: 'Millennium' | 'Soarian' | '';
  products: string[];
  ticks: ApiTick[];
}

/** Field name → message shown beside that field. */
export type FieldErrors = Record<string, string>;

export function emptyDraft(): RegistrationDraft {
  return {
    name: '',
    owner: '',
    type: '',
    access: '',
    privacy: '',
    smartVersion: '',
    intendedUsers: [],
    intendedPurposes: [],
    redirectUris: [''],
    launchUri: '',
    fhirVersion: '',
    productFamily: '',
    products: [],
    ticks: [],
  };
}

function pick<T extends string>(value: string | undefined, allowed: readonly T[]): T | '' {
  return allowed.includes(value as T) ? (value as T) : '';
}

/** Ticked options of a checkbox group: fields `<group>:<index>` = on. */
function checkedOptions(fields: Record<string, string>, group: string, options: readonly string[]): string[] {
  return options.filter((_option, index) => fields[`${group}:${index}`] === 'on');
}

/** The Redirect URI rows as posted: `redirect_uri`, then `redirect_uri_1`, `redirect_uri_2`, … */
function redirectRows(fields: Record<string, string>): string[] {
  const rows = [fields.redirect_uri ?? ''];
  for (let index = 1; index < MAX_REDIRECT_URIS && fields[`redirect_uri_${index}`] !== undefined; index++) {
    rows.push(fields[`redirect_uri_${index}`] ?? '');
  }
  return rows.map((row) => row.trim());
}

/** Step 1 ("Basic Information", then "Privacy, SMART Version, and URIs" below it). */
export function readBasicInformation(
  draft: RegistrationDraft,
  fields: Record<string, string>,
): RegistrationDraft {
  const type = pick(fields.application_type, ['provider', 'patient', 'system'] as const);
  return {
    ...draft,
    name: (fields.application_name ?? '').trim(),
    owner: (fields.application_owner ?? '').trim(),
    type,
    access: pick(fields.type_of_access, ['offline', 'online'] as const),
    privacy: pick(fields.application_privacy, ['confidential', 'public'] as const),
    smartVersion: pick(fields.smart_version, ['v1', 'v2'] as const),
    intendedUsers: checkedOptions(fields, 'intended_users', INTENDED_USERS),
    intendedPurposes: checkedOptions(fields, 'intended_purposes', INTENDED_PURPOSES),
    ...readUris(fields),
    fhirVersion: pick(fields.default_fhir_version, ['R4', 'DSTU2'] as const),
    // A changed Application Type shows other API tables: keep only ticks that still have one.
    ticks: type === draft.type ? draft.ticks : [],
  };
}

/**
 * The URIs, in step 1 and on the detail page's Edit: the Redirect URI (required unless System),
 * additional ones absolute and not repeated, the SMART Launch URI (required for Provider) http(s).
 */
export function checkUris(
  type: ApplicationType | '',
  redirectUris: readonly string[],
  launchUri: string,
): FieldErrors {
  const errors: FieldErrors = {};
  const seen = new Set<string>();
  redirectUris.forEach((uri, index) => {
    const field = index === 0 ? 'redirect_uri' : `redirect_uri_${index}`;
    if (uri === '') {
      if (index === 0 && type !== 'system') errors[field] = 'Enter the Redirect URI (the OAuth callback).';
      return;
    }
    if (!isAbsoluteUrl(uri) || uri.includes('#')) {
      errors[field] = 'Enter an absolute URI without a fragment, like https://app.example.com/callback.';
    } else if (seen.has(uri)) {
      errors[field] = 'This Redirect URI is already listed.';
    }
    seen.add(uri);
  });
  if (launchUri === '') {
    if (type === 'provider')
      errors.smart_launch_uri = 'Enter the SMART Launch URI (Cerner opens it from PowerChart).';
  } else if (!httpUrl(launchUri) || launchUri.includes('#')) {
    errors.smart_launch_uri = 'Enter an http(s) URL without a fragment, like https://app.example.com/launch.';
  }
  return errors;
}

/** The Redirect URI rows and SMART Launch URI of a posted form (step 1 or Edit). */
export function readUris(fields: Record<string, string>): { redirectUris: string[]; launchUri: string } {
  return { redirectUris: redirectRows(fields), launchUri: (fields.smart_launch_uri ?? '').trim() };
}

export function checkBasicInformation(draft: RegistrationDraft): FieldErrors {
  const errors: FieldErrors = {};
  if (draft.name === '') errors.application_name = 'Enter an Application Name.';
  else if (draft.name.length > 100) errors.application_name = 'Use at most 100 characters.';
  if (draft.owner === '') errors.application_owner = 'Enter the Application Owner (your company name).';
  if (draft.type === '') errors.application_type = 'Choose an Application Type.';
  if (draft.access === '') errors.type_of_access = 'Choose a Type of Access.';
  if (draft.privacy === '') errors.application_privacy = 'Choose the Application Privacy.';
  else if (draft.type === 'system' && draft.privacy === 'public')
    errors.application_privacy =
      'A System application must be Confidential: it signs in with its own credentials.';
  if (draft.smartVersion === '') errors.smart_version = 'Choose a SMART Version.';
  if (draft.intendedUsers.length === 0) errors.intended_users = 'Choose at least one of the Intended Users.';
  if (draft.intendedPurposes.length === 0)
    errors.intended_purposes = 'Choose at least one of the Intended Purposes.';
  Object.assign(errors, checkUris(draft.type, draft.redirectUris, draft.launchUri));
  if (draft.fhirVersion === '') errors.default_fhir_version = 'Choose a Default FHIR Version.';
  else if (draft.fhirVersion === 'DSTU2')
    errors.default_fhir_version = 'Choose R4: the sandbox tenant serves FHIR R4 (DSTU2 is retired).';
  return errors;
}

/** Step 2, "Product Selection". */
export function readProductSelection(
  draft: RegistrationDraft,
  fields: Record<string, string>,
): RegistrationDraft {
  return {
    ...draft,
    productFamily: pick(fields.product_family, ['Millennium', 'Soarian'] as const),
    products: checkedOptions(fields, 'products', PRODUCTS),
  };
}

export function checkProductSelection(draft: RegistrationDraft): FieldErrors {
  const errors: FieldErrors = {};
  if (draft.productFamily === '') errors.product_family = 'Choose a Product Family.';
  else if (draft.productFamily === 'Soarian')
    errors.product_family =
      'Choose Millennium: the sandbox tenant is a Millennium tenant (Soarian is a legacy platform).';
  if (!draft.products.includes(FHIR_R4_PRODUCT))
    errors.products = `Tick ${FHIR_R4_PRODUCT}: the API Access step lists its FHIR resources.`;
  return errors;
}

/** Step 3, "API Access". */
export function readApiAccess(draft: RegistrationDraft, fields: Record<string, string>): RegistrationDraft {
  return { ...draft, ticks: draft.type === '' ? [] : ticksOfForm(fields, draft.type) };
}

export function checkApiAccess(draft: RegistrationDraft): FieldErrors {
  if (draft.ticks.length > 0) return {};
  const tables = draft.type === '' ? [] : apiTablesFor(draft.type).map((table) => table.title);
  return { api_access: `Tick Read or Write on at least one resource in ${tables.join(' or ')}.` };
}

/** The first step whose values are missing or wrong: where Submit (or a skipped step) goes back to. */
export function firstIncompleteStep(draft: RegistrationDraft): WizardStep | undefined {
  if (Object.keys(checkBasicInformation(draft)).length > 0) return 'basic-information';
  if (Object.keys(checkProductSelection(draft)).length > 0) return 'product-selection';
  if (Object.keys(checkApiAccess(draft)).length > 0) return 'api-access';
  return undefined;
}

/** The registration a complete draft describes (ids and secret are the registry's to issue). */
export function registrationOfDraft(
  draft: RegistrationDraft,
): Omit<SandboxAppRegistration, 'applicationId' | 'clientId' | 'secret'> {
  const type = draft.type || 'provider';
  const version = draft.smartVersion || 'v1';
  return {
    name: draft.name,
    persona: type,
    privacy: draft.privacy || 'confidential',
    accessType: draft.access || 'offline',
    smartVersion: version,
    redirectUris: draft.redirectUris.filter((uri) => uri !== ''),
    launchUri: draft.launchUri,
    scopes: scopesOfTicks(draft.ticks, version),
    details: {
      owner: draft.owner,
      intendedUsers: draft.intendedUsers,
      intendedPurposes: draft.intendedPurposes,
      defaultFhirVersion: draft.fhirVersion || 'R4',
      productFamily: draft.productFamily || 'Millennium',
      products: draft.products,
    },
  };
}
