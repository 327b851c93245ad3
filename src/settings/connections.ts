/**
 * An org's Clinical Workflow connection to one EHR vendor: the settings on the guide's
 * "Settings → Connections → Cerner" page.
 */
import type { ClientAuthMethod, Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { ConnectionTable, Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { VENDORS, type Vendor } from './fhir-sources.ts';
import { newId } from './ids.ts';
import { getOrganization } from './organizations.ts';
import { oneOf, validateAdminUrl } from './validation.ts';

/** What the guide's Scopes row shows for a provider launch (cerner-smart.md §3: no wildcards). */
export const DEFAULT_SCOPES =
  'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access';

export const AUTH_METHODS = ['client_secret_basic', 'private_key_jwt'] as const;

export interface ConnectionSettings {
  readonly id: string;
  readonly orgId: string;
  readonly vendor: Vendor;
  readonly appLaunchUrl: string | null;
  readonly cdsEndpoint: string | null;
  readonly cdsCaching: boolean;
  readonly useCustomCredentials: boolean;
  readonly clientId: string | null;
  /** Whether a custom secret is stored; the value itself is only opened by {@link resolveClient}. */
  readonly hasClientSecret: boolean;
  readonly authMethod: ClientAuthMethod;
  readonly scopes: string;
}

/** Fields a caller may change; `undefined` leaves a field as it is, `null` clears it. */
export interface ConnectionChanges {
  appLaunchUrl?: string | null;
  cdsEndpoint?: string | null;
  cdsCaching?: boolean;
  useCustomCredentials?: boolean;
  clientId?: string | null;
  clientSecret?: string | null;
  authMethod?: string;
  scopes?: string;
}

/** The OAuth client a launch uses: the org's custom credentials or the platform's own. */
export interface ResolvedClient {
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly authMethod: ClientAuthMethod;
}

const secretContext = (connectionId: string) => `connection.client_secret:${connectionId}`;

export async function findConnection(
  db: Db,
  orgId: string,
  vendor: Vendor,
): Promise<ConnectionSettings | undefined> {
  const row = await connectionRow(db, orgId, vendor);
  return row && toSettings(row);
}

function connectionRow(db: Db, orgId: string, vendor: Vendor): Promise<ConnectionTable | undefined> {
  return db
    .selectFrom('connection')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('vendor', '=', vendor)
    .executeTakeFirst();
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
  await getOrganization(db, orgId);
  const allowLoopbackHttp = config.mode !== 'production';
  const existing = await db
    .selectFrom('connection')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('vendor', '=', vendor)
    .executeTakeFirst();
  const id = existing?.id ?? newId('conn');
  const now = new Date().toISOString();

  const next: ConnectionTable = existing
    ? { ...existing }
    : {
        id,
        org_id: orgId,
        vendor,
        app_launch_url: null,
        cds_endpoint: null,
        cds_caching: 0,
        use_custom_credentials: 0,
        client_id: null,
        client_secret: null,
        auth_method: 'client_secret_basic',
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
  if (changes.useCustomCredentials !== undefined)
    next.use_custom_credentials = changes.useCustomCredentials ? 1 : 0;
  if (changes.clientId !== undefined) next.client_id = changes.clientId?.trim() || null;
  if (changes.clientSecret !== undefined) {
    next.client_secret = changes.clientSecret ? sealer.seal(changes.clientSecret, secretContext(id)) : null;
  }
  if (changes.authMethod !== undefined)
    next.auth_method = oneOf(changes.authMethod, AUTH_METHODS, 'auth_method');
  if (changes.scopes !== undefined) next.scopes = normalizeScopes(changes.scopes);

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
  next.updated_at = now;

  if (existing) {
    await db.updateTable('connection').set(next).where('id', '=', id).execute();
  } else {
    await db.insertInto('connection').values(next).execute();
  }
  return toSettings(next);
}

/**
 * The client for a launch. Without custom credentials the platform's registered client for the
 * vendor is used (operator configuration); without either, launches cannot start (null).
 */
export async function resolveClient(
  db: Db,
  sealer: Sealer,
  config: Pick<Config, 'platformClients'>,
  connection: ConnectionSettings,
): Promise<ResolvedClient | null> {
  if (!(connection.useCustomCredentials && connection.clientId)) return platformClient(config, connection);
  const row = await db
    .selectFrom('connection')
    .select('client_secret')
    .where('id', '=', connection.id)
    .executeTakeFirstOrThrow();
  return customClient(sealer, connection, row.client_secret);
}

/**
 * An org's connection to a vendor and the client it launches with, in one read: the launch and
 * callback hops need both, and a second query for the secret was a tenth of a launch's database
 * work.
 */
export async function findConnectionAndClient(
  db: Db,
  sealer: Sealer,
  config: Pick<Config, 'platformClients'>,
  orgId: string,
  vendor: Vendor,
): Promise<{ connection: ConnectionSettings; client: ResolvedClient | null } | undefined> {
  const row = await connectionRow(db, orgId, vendor);
  if (!row) return undefined;
  const connection = toSettings(row);
  const client =
    connection.useCustomCredentials && connection.clientId
      ? customClient(sealer, connection, row.client_secret)
      : platformClient(config, connection);
  return { connection, client };
}

function customClient(
  sealer: Sealer,
  connection: ConnectionSettings,
  sealedSecret: string | null,
): ResolvedClient {
  return {
    clientId: connection.clientId as string,
    clientSecret: sealedSecret ? sealer.open(sealedSecret, secretContext(connection.id)) : null,
    authMethod: connection.authMethod,
  };
}

function platformClient(
  config: Pick<Config, 'platformClients'>,
  connection: ConnectionSettings,
): ResolvedClient | null {
  const platform = config.platformClients[connection.vendor];
  return platform ? { ...platform } : null;
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

function toSettings(row: ConnectionTable): ConnectionSettings {
  return {
    id: row.id,
    orgId: row.org_id,
    vendor: row.vendor as Vendor,
    appLaunchUrl: row.app_launch_url,
    cdsEndpoint: row.cds_endpoint,
    cdsCaching: row.cds_caching === 1,
    useCustomCredentials: row.use_custom_credentials === 1,
    clientId: row.client_id,
    hasClientSecret: row.client_secret !== null,
    authMethod: row.auth_method as ClientAuthMethod,
    scopes: row.scopes,
  };
}
