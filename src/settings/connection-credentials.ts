/**
 * A connection's client credentials for one environment (`connection_credential`, written by
 * connections.ts): what a save changes, and how the stored row reads. The secret stays sealed.
 */
import type { ClientAuthMethod } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { ConnectionCredentialTable } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { oneOf } from './validation.ts';

export const AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;

/** One environment's client credentials (the guide's "Use custom credentials" block). */
export interface ConnectionCredentials {
  readonly useCustomCredentials: boolean;
  readonly clientId: string | null;
  /** Whether a custom secret is stored; the value itself is only opened for a launch. */
  readonly hasClientSecret: boolean;
  readonly authMethod: ClientAuthMethod;
}

/** The credential fields of a save; `undefined` leaves a field as it is, `null` clears it. */
export interface CredentialChanges {
  useCustomCredentials?: boolean;
  clientId?: string | null;
  clientSecret?: string | null;
  authMethod?: string;
}

export type CredentialRow = Omit<ConnectionCredentialTable, 'connection_id' | 'environment' | 'updated_at'>;

/** A connection without credentials yet: the platform's client, and the vendor's usual method. */
export function noCredentials(authMethod: ClientAuthMethod): CredentialRow {
  return { use_custom_credentials: 0, client_id: null, client_secret: null, auth_method: authMethod };
}

/**
 * Both environments' secrets are sealed under the connection: the migration that split the
 * credentials copied one sealed value into both rows, and the row key tells them apart.
 */
export const secretContext = (connectionId: string) => `connection.client_secret:${connectionId}`;

export function changedCredentials(
  sealer: Sealer,
  connectionId: string,
  current: CredentialRow,
  changes: CredentialChanges,
): CredentialRow {
  const next: CredentialRow = { ...current };
  if (changes.useCustomCredentials !== undefined)
    next.use_custom_credentials = changes.useCustomCredentials ? 1 : 0;
  if (changes.clientId !== undefined) next.client_id = changes.clientId?.trim() || null;
  if (changes.clientSecret !== undefined) {
    next.client_secret = changes.clientSecret
      ? sealer.seal(changes.clientSecret, secretContext(connectionId))
      : null;
  }
  if (changes.authMethod !== undefined)
    next.auth_method = oneOf(changes.authMethod, AUTH_METHODS, 'auth_method');
  if (next.use_custom_credentials) {
    if (!next.client_id) {
      throw new ChartsideError('invalid_data', {
        param: 'client_id',
        message: 'client_id is required with custom credentials.',
      });
    }
    if (next.client_id.length > 200) {
      throw new ChartsideError('invalid_data', { param: 'client_id', message: 'client_id is too long.' });
    }
  }
  return next;
}

export function credentialsView(credential: CredentialRow): ConnectionCredentials {
  return {
    useCustomCredentials: credential.use_custom_credentials === 1,
    clientId: credential.client_id,
    hasClientSecret: credential.client_secret !== null,
    authMethod: credential.auth_method as ClientAuthMethod,
  };
}
