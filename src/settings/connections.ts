/**
 * An org's Clinical Workflow connection to one EHR vendor: the settings on the guide's
 * "Settings → Connections → Cerner" page.
 */
import type { ClientAuthMethod, Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { ConnectionCredentialTable, ConnectionTable, Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { SmartClient } from '../smart/client-authentication.ts';
import { ENVIRONMENTS, type Environment, VENDORS, type Vendor } from './fhir-sources.ts';
import { newId } from './ids.ts';
import { getOrganization } from './organizations.ts';
import { oneOf, validateAdminUrl } from './validation.ts';

/** What the guide's Scopes row shows for a provider launch (docs/cerner.md §3: no wildcards). */
export const DEFAULT_SCOPES =
  'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access';

export const AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;

/** One environment's client credentials (the guide's "Use custom credentials" block). */
export interface ConnectionCredentials {
  readonly useCustomCredentials: boolean;
  readonly clientId: string | null;
  /** Whether a custom secret is stored; the value itself is only opened for a launch. */
  readonly hasClientSecret: boolean;
  readonly authMethod: ClientAuthMethod;
}

export interface ConnectionSettings {
  readonly id: string;
  readonly orgId: string;
  readonly vendor: Vendor;
  readonly appLaunchUrl: string | null;
  readonly cdsEndpoint: string | null;
  readonly cdsCaching: boolean;
  readonly scopes: string;
  /**
   * Credentials per environment: some EHRs (Epic) issue one client id for non-production and
   * another for production. A launch uses those of its source's environment.
   */
  readonly credentials: Readonly<Record<Environment, ConnectionCredentials>>;
}

/** Fields a caller may change; `undefined` leaves a field as it is, `null` clears it. */
export interface ConnectionChanges {
  appLaunchUrl?: string | null;
  cdsEndpoint?: string | null;
  cdsCaching?: boolean;
  scopes?: string;
  /** The credential fields below apply to this environment; omitted: to both. */
  environment?: string | undefined;
  useCustomCredentials?: boolean;
  clientId?: string | null;
  clientSecret?: string | null;
  authMethod?: string;
}

/** The OAuth client a launch uses: the org's custom credentials or the platform's own. */
export type ResolvedClient = SmartClient;

/**
 * Both environments' secrets are sealed under the connection: the migration that split the
 * credentials copied one sealed value into both rows, and the row key tells them apart.
 */
const secretContext = (connectionId: string) => `connection.client_secret:${connectionId}`;

type CredentialRow = Omit<ConnectionCredentialTable, 'connection_id' | 'environment' | 'updated_at'>;
const NO_CREDENTIALS: CredentialRow = {
  use_custom_credentials: 0,
  client_id: null,
  client_secret: null,
  auth_method: 'client_secret_basic',
};

export async function findConnection(
  db: Db,
  orgId: string,
  vendor: Vendor,
): Promise<ConnectionSettings | undefined> {
  const found = await connectionRows(db, orgId, vendor);
  return found && toSettings(found.row, found.credentials);
}

async function connectionRows(
  db: Db,
  orgId: string,
  vendor: Vendor,
): Promise<{ row: ConnectionTable; credentials: Record<Environment, CredentialRow> } | undefined> {
  const row = await db
    .selectFrom('connection')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('vendor', '=', vendor)
    .executeTakeFirst();
  if (!row) return undefined;
  const stored = await db
    .selectFrom('connection_credential')
    .selectAll()
    .where('connection_id', '=', row.id)
    .execute();
  const credentials = { sandbox: NO_CREDENTIALS, production: NO_CREDENTIALS };
  for (const credential of stored) {
    if (credential.environment === 'sandbox' || credential.environment === 'production')
      credentials[credential.environment] = credential;
  }
  return { row, credentials };
}

/** Create or update an org's connection for a vendor, validating the result as a whole. */
export async function setConnection(
  db: Db,
  sealer: Sealer,
  config: Pick<Config, 'mode'>,
  orgId: string,
  vendorInput: string | undefined,
  changes: ConnectionChanges,
): Promise<ConnectionSettings> {
  const vendor = oneOf(vendorInput, VENDORS, 'vendor');
  const environments: readonly Environment[] =
    changes.environment === undefined
      ? ENVIRONMENTS
      : [oneOf(changes.environment, ENVIRONMENTS, 'environment')];
  await getOrganization(db, orgId);
  const allowLoopbackHttp = config.mode !== 'production';
  const existing = await connectionRows(db, orgId, vendor);
  const id = existing?.row.id ?? newId('conn');
  const now = new Date().toISOString();

  const next: ConnectionTable = existing
    ? { ...existing.row }
    : {
        id,
        org_id: orgId,
        vendor,
        app_launch_url: null,
        cds_endpoint: null,
        cds_caching: 0,
        scopes: DEFAULT_SCOPES,
        created_at: now,
        updated_at: now,
      };
  if (changes.appLaunchUrl !== undefined) {
    next.app_launch_url =
      changes.appLaunchUrl && validateAdminUrl(changes.appLaunchUrl, 'app_launch_url', allowLoopbackHttp);
  }
  if (changes.cdsEndpoint !== undefined) {
    next.cds_endpoint =
      changes.cdsEndpoint && validateAdminUrl(changes.cdsEndpoint, 'cds_endpoint', allowLoopbackHttp);
  }
  if (changes.cdsCaching !== undefined) next.cds_caching = changes.cdsCaching ? 1 : 0;
  if (changes.scopes !== undefined) next.scopes = normalizeScopes(changes.scopes);
  next.updated_at = now;

  const credentials = {
    ...(existing?.credentials ?? { sandbox: NO_CREDENTIALS, production: NO_CREDENTIALS }),
  };
  for (const environment of environments) {
    credentials[environment] = changedCredentials(sealer, id, credentials[environment], changes);
  }

  await db.transaction().execute(async (trx) => {
    if (existing) await trx.updateTable('connection').set(next).where('id', '=', id).execute();
    else await trx.insertInto('connection').values(next).execute();
    for (const environment of ENVIRONMENTS) {
      const row = { connection_id: id, environment, ...credentials[environment], updated_at: now };
      await trx
        .insertInto('connection_credential')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['connection_id', 'environment']).doUpdateSet({
            use_custom_credentials: row.use_custom_credentials,
            client_id: row.client_id,
            client_secret: row.client_secret,
            auth_method: row.auth_method,
            updated_at: now,
          }),
        )
        .execute();
    }
  });
  return toSettings(next, credentials);
}

function changedCredentials(
  sealer: Sealer,
  connectionId: string,
  current: CredentialRow,
  changes: ConnectionChanges,
): CredentialRow {
  const next: CredentialRow = {
    use_custom_credentials: current.use_custom_credentials,
    client_id: current.client_id,
    client_secret: current.client_secret,
    auth_method: current.auth_method,
  };
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

/**
 * A launch's client with its secret still sealed: what may be remembered between requests
 * (settings/launch-settings.ts). {@link openClient} opens the secret for the one request that
 * needs it, so no decrypted secret outlives a request.
 */
export interface SealedClient {
  readonly clientId: string;
  readonly authMethod: ClientAuthMethod;
  readonly hasSecret: boolean;
  /** The secret, opened now (null without one). */
  openSecret(): string | null;
}

export function openClient(client: SealedClient): ResolvedClient {
  return { clientId: client.clientId, clientSecret: client.openSecret(), authMethod: client.authMethod };
}

/**
 * An org's connection to a vendor and the client a launch of `environment` uses, in one read:
 * the launch and callback hops and the token renewal need both. Without custom credentials the
 * platform's registered client for the vendor is used (operator configuration); without either,
 * launches cannot start (`client` null).
 */
export async function findConnectionAndClient(
  db: Db,
  sealer: Sealer,
  config: Pick<Config, 'platformClients'>,
  orgId: string,
  vendor: Vendor,
  environment: Environment,
): Promise<{ connection: ConnectionSettings; client: SealedClient | null } | undefined> {
  const found = await connectionRows(db, orgId, vendor);
  if (!found) return undefined;
  const connection = toSettings(found.row, found.credentials);
  const credentials = found.credentials[environment];
  if (!(credentials.use_custom_credentials && credentials.client_id)) {
    const platform = config.platformClients[vendor];
    const client: SealedClient | null = platform
      ? {
          clientId: platform.clientId,
          authMethod: platform.authMethod,
          hasSecret: platform.clientSecret !== null,
          openSecret: () => platform.clientSecret,
        }
      : null;
    return { connection, client };
  }
  const sealed = credentials.client_secret;
  const client: SealedClient = {
    clientId: credentials.client_id,
    authMethod: credentials.auth_method as ClientAuthMethod,
    hasSecret: sealed !== null,
    openSecret: () => (sealed ? sealer.open(sealed, secretContext(connection.id)) : null),
  };
  return { connection, client };
}

/** An org's connection as the CDS relay uses it: the first (by vendor) with a CDS endpoint. */
export interface CdsConnection {
  readonly cdsEndpoint: string;
  readonly appLaunchUrl: string | null;
  /** The connection's SMART scopes: the app's read grants bound the CDS FHIR token. */
  readonly scopes: string;
  readonly cdsCaching: boolean;
}

export async function findCdsConnection(db: Db, orgId: string): Promise<CdsConnection | undefined> {
  const row = await db
    .selectFrom('connection')
    .select(['cds_endpoint', 'app_launch_url', 'scopes', 'cds_caching'])
    .where('org_id', '=', orgId)
    .where('cds_endpoint', 'is not', null)
    .orderBy('vendor')
    .executeTakeFirst();
  if (!row?.cds_endpoint) return undefined;
  return {
    cdsEndpoint: row.cds_endpoint,
    appLaunchUrl: row.app_launch_url,
    scopes: row.scopes,
    cdsCaching: row.cds_caching === 1,
  };
}

/** Whether the two environments' credentials differ (the console then shows both). */
export function credentialsDiffer(connection: ConnectionSettings): boolean {
  const { sandbox, production } = connection.credentials;
  return (
    sandbox.useCustomCredentials !== production.useCustomCredentials ||
    sandbox.clientId !== production.clientId ||
    sandbox.hasClientSecret !== production.hasClientSecret ||
    sandbox.authMethod !== production.authMethod
  );
}

export function normalizeScopes(value: string): string {
  const scopes = value.split(/\s+/).filter(Boolean);
  if (scopes.length === 0)
    throw new ChartsideError('invalid_data', { param: 'scopes', message: 'scopes must not be empty.' });
  for (const scope of scopes) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) {
      throw new ChartsideError('invalid_data', {
        param: 'scopes',
        message: 'scopes contain a character that is not allowed.',
      });
    }
    if (scope.includes('*')) {
      throw new ChartsideError('invalid_data', {
        param: 'scopes',
        message: 'Wildcard scopes are not supported by Cerner; list each resource.',
      });
    }
  }
  return [...new Set(scopes)].join(' ');
}

function toSettings(
  row: ConnectionTable,
  credentials: Record<Environment, CredentialRow>,
): ConnectionSettings {
  const view = (credential: CredentialRow): ConnectionCredentials => ({
    useCustomCredentials: credential.use_custom_credentials === 1,
    clientId: credential.client_id,
    hasClientSecret: credential.client_secret !== null,
    authMethod: credential.auth_method as ClientAuthMethod,
  });
  return {
    id: row.id,
    orgId: row.org_id,
    vendor: row.vendor as Vendor,
    appLaunchUrl: row.app_launch_url,
    cdsEndpoint: row.cds_endpoint,
    cdsCaching: row.cds_caching === 1,
    scopes: row.scopes,
    credentials: { sandbox: view(credentials.sandbox), production: view(credentials.production) },
  };
}
