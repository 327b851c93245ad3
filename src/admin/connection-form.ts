/**
 * The Clinical Workflow form: what the person typed, every problem with it at once (each shown
 * next to its field), and the changes to save. Validation reuses the settings rules.
 */
import type { Config } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import {
  AUTH_METHODS,
  type ConnectionChanges,
  type ConnectionSettings,
  credentialsDiffer,
  SIGNING_ALG_CHOICES,
} from '../settings/connections.ts';
import type { Environment, Vendor } from '../settings/fhir-sources.ts';
import { validateAdminUrl } from '../settings/validation.ts';
import { defaultScopesFor, normalizeScopes, VENDOR_PROFILES } from '../settings/vendor-profiles.ts';
import type { ConnectionForm } from './schemas.ts';

export interface ConnectionFormValues {
  app_launch_url: string;
  cds_endpoint: string;
  cds_caching: boolean;
  use_custom_credentials: boolean;
  client_id: string;
  remove_client_secret: boolean;
  auth_method: string;
  /** `auto` (the EHR's choice), `RS384` or `ES384`. */
  signing_alg: string;
  assertion_jku: boolean;
  scopes: string;
}

export type ConnectionField = keyof ConnectionFormValues | 'client_secret';
export type FieldErrors = Partial<Record<ConnectionField, string>>;

export const FIELD_LABELS: Record<ConnectionField, string> = {
  app_launch_url: 'App launch URL',
  cds_endpoint: 'CDS endpoint',
  cds_caching: 'CDS caching',
  use_custom_credentials: 'Use custom credentials',
  client_id: 'Client ID',
  client_secret: 'Client secret',
  remove_client_secret: 'Remove the stored secret',
  auth_method: 'Authentication method',
  signing_alg: 'Assertion algorithm',
  assertion_jku: 'Send jku',
  scopes: 'Scopes',
};

/**
 * Which credentials the form edits: both environments at once (while they are the same), or
 * one. Some EHRs (Epic) issue a different client id for production.
 */
export type CredentialsTarget = 'both' | Environment;
export const CREDENTIALS_TARGETS: readonly CredentialsTarget[] = ['both', 'sandbox', 'production'];

/** What the form edits when the page is opened without choosing. */
export function defaultTarget(connection: ConnectionSettings | undefined): CredentialsTarget {
  return connection && credentialsDiffer(connection) ? 'sandbox' : 'both';
}

/** The form as it shows a saved connection (or the defaults of a new one). */
export function valuesOf(
  connection: ConnectionSettings | undefined,
  vendor: Vendor,
  target: CredentialsTarget = 'both',
): ConnectionFormValues {
  const credentials = connection?.credentials[target === 'both' ? 'sandbox' : target];
  return {
    app_launch_url: connection?.appLaunchUrl ?? '',
    cds_endpoint: connection?.cdsEndpoint ?? '',
    cds_caching: connection?.cdsCaching ?? false,
    use_custom_credentials: credentials?.useCustomCredentials ?? false,
    client_id: credentials?.clientId ?? '',
    remove_client_secret: false,
    auth_method: credentials?.authMethod ?? VENDOR_PROFILES[vendor].defaultAuthMethod,
    signing_alg: connection?.signingAlg ?? 'auto',
    assertion_jku: connection?.assertionJku ?? false,
    scopes: connection?.scopes ?? defaultScopesFor(vendor),
  };
}

export interface ReadForm {
  values: ConnectionFormValues;
  /** A newly typed secret; never rendered back. */
  secret: string;
}

export function readConnectionForm(form: ConnectionForm, vendor: Vendor): ReadForm {
  return {
    values: {
      app_launch_url: (form.app_launch_url ?? '').trim(),
      cds_endpoint: (form.cds_endpoint ?? '').trim(),
      cds_caching: form.cds_caching === 'on',
      use_custom_credentials: form.use_custom_credentials === 'on',
      client_id: (form.client_id ?? '').trim(),
      remove_client_secret: form.remove_client_secret === 'on',
      auth_method: form.auth_method ?? '',
      signing_alg: form.signing_alg ?? 'auto',
      assertion_jku: form.assertion_jku === 'on',
      scopes: form.scopes ?? defaultScopesFor(vendor),
    },
    secret: form.client_secret ?? '',
  };
}

export function validateConnectionForm(
  { values, secret }: ReadForm,
  config: Pick<Config, 'mode'>,
  target: CredentialsTarget,
  vendor: Vendor,
): { errors: FieldErrors; changes: ConnectionChanges } {
  const errors: FieldErrors = {};
  const allowLoopbackHttp = config.mode !== 'production';
  const check = (field: ConnectionField, run: () => void) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof ChartsideError)) throw error;
      errors[field] = labelled(error.message, field);
    }
  };
  const url = (field: 'app_launch_url' | 'cds_endpoint') => {
    if (values[field])
      check(field, () => validateAdminUrl(values[field], FIELD_LABELS[field], allowLoopbackHttp));
  };
  url('app_launch_url');
  url('cds_endpoint');
  if (values.use_custom_credentials && !values.client_id) {
    errors.client_id = 'Enter the Client ID from the Code Console, or turn off Use custom credentials.';
  } else if (values.client_id.length > 200) {
    errors.client_id = 'The Client ID must be at most 200 characters.';
  }
  if (secret.length > 2000) errors.client_secret = 'The client secret must be at most 2,000 characters.';
  if (secret && values.remove_client_secret) {
    errors.client_secret = 'Either enter a new secret or remove the stored one, not both.';
  }
  if (!(AUTH_METHODS as readonly string[]).includes(values.auth_method)) {
    errors.auth_method = `Choose ${AUTH_METHODS.join(' or ')}.`;
  }
  if (!(SIGNING_ALG_CHOICES as readonly string[]).includes(values.signing_alg)) {
    errors.signing_alg = `Choose ${SIGNING_ALG_CHOICES.join(', ')}.`;
  }
  let scopes = values.scopes;
  check('scopes', () => {
    scopes = normalizeScopes(values.scopes, vendor);
  });

  const changes: ConnectionChanges = {
    appLaunchUrl: values.app_launch_url || null,
    cdsEndpoint: values.cds_endpoint || null,
    cdsCaching: values.cds_caching,
    useCustomCredentials: values.use_custom_credentials,
    clientId: values.client_id || null,
    authMethod: values.auth_method,
    signingAlg: values.signing_alg,
    assertionJku: values.assertion_jku,
    scopes,
  };
  if (target !== 'both') changes.environment = target;
  if (secret) changes.clientSecret = secret;
  else if (values.remove_client_secret) changes.clientSecret = null;
  return { errors, changes };
}

/** Map a settings error (named by its parameter) onto a form field, for the rare late failure. */
export function fieldOfParam(param: string | null): ConnectionField | null {
  if (param && param in FIELD_LABELS) return param as ConnectionField;
  return null;
}

/** Settings messages name the parameter (`client_id is required…`); the console names the label. */
export function labelled(message: string, field: ConnectionField): string {
  return message.startsWith(`${field} `) ? `${FIELD_LABELS[field]}${message.slice(field.length)}` : message;
}

/** Which fields a save changed, for the audit event (names only, never values). */
export function changedFields(
  before: ConnectionSettings | undefined,
  after: ConnectionSettings,
  target: CredentialsTarget,
): string[] {
  // A new connection is compared with the defaults it would otherwise have.
  const was = valuesOf(before, after.vendor, target);
  const now = valuesOf(after, after.vendor, target);
  const pairs: [string, unknown, unknown][] = [
    ['app_launch_url', was.app_launch_url, now.app_launch_url],
    ['cds_endpoint', was.cds_endpoint, now.cds_endpoint],
    ['cds_caching', was.cds_caching, now.cds_caching],
    ['use_custom_credentials', was.use_custom_credentials, now.use_custom_credentials],
    ['client_id', was.client_id, now.client_id],
    ['auth_method', was.auth_method, now.auth_method],
    ['signing_alg', was.signing_alg, now.signing_alg],
    ['assertion_jku', was.assertion_jku, now.assertion_jku],
    ['scopes', was.scopes, now.scopes],
  ];
  return pairs.filter(([, a, b]) => a !== b).map(([name]) => name);
}
