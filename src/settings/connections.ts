/**
 * An org's Clinical Workflow connection to one EHR vendor: the settings on the guide's
 * "Settings → Connections → Cerner" page (and Epic's and any SMART EHR's, vendor-profiles.ts).
 */
import type { ClientAuthMethod, Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { ConnectionTable, Db } from '../db/index.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/signing-keys.ts';
import type { SmartClient } from '../smart/client-authentication.ts';
import {
  type ConnectionCredentials,
  type CredentialChanges,
  type CredentialRow,
  changedCredentials,
  credentialsView,
  noCredentials,
  secretContext,
} from './connection-credentials.ts';
import { ENVIRONMENTS, type Environment, VENDORS, type Vendor } from './fhir-sources.ts';
import { newId } from './ids.ts';
import { getOrganization } from './organizations.ts';
import { oneOf, validateAdminUrl } from './validation.ts';
import { normalizeScopes, VENDOR_PROFILES } from './vendor-profiles.ts';

export { AUTH_METHODS, type ConnectionCredentials } from './connection-credentials.ts';

/** Cerner's default Scopes row (docs/cerner.md §3: no wildcards); each vendor's is in vendor-profiles.ts. */
export const DEFAULT_SCOPES = VENDOR_PROFILES.cerner.defaultScopes;

/** `--signing-alg auto` (or the console's Automatic): follow the EHR's advertised algorithms. */
export const SIGNING_ALG_CHOICES = ['auto', ...SIGNING_ALGORITHMS] as const;

export interface ConnectionSettings {
  readonly id: string;
  readonly orgId: string;
  readonly vendor: Vendor;
  readonly appLaunchUrl: string | null;
  readonly cdsEndpoint: string | null;
  readonly cdsCaching: boolean;
  readonly scopes: string;
  /** The client assertion's algorithm; null: the EHR's advertised choice (RS384 by default). */
  readonly signingAlg: SigningAlgorithm | null;
  /** Whether client assertions carry our JWKS URL as `jku`. */
  readonly assertionJku: boolean;
  /**
   * Credentials per environment: some EHRs (Epic) issue one client id for non-production and
   * another for production. A launch uses those of its source's environment.
   */
  readonly credentials: Readonly<Record<Environment, ConnectionCredentials>>;
}

/** Fields a caller may change; `undefined` leaves a field as it is, `null` clears it. */
export interface ConnectionChanges extends CredentialChanges {
  appLaunchUrl?: string | null;
  cdsEndpoint?: string | null;
  cdsCaching?: boolean;
  scopes?: string;
  /** `RS384`, `ES384`, or `auto` / null for the EHR's choice. */
  signingAlg?: string | null;
  assertionJku?: boolean;
  /** The credential fields apply to this environment; omitted: to both. */
  environment?: string | undefined;
}

/** The OAuth client a launch uses: the org's custom credentials or the platform's own. */
export type ResolvedClient = SmartClient;

type Rows = { row: ConnectionTable; credentials: Record<Environment, CredentialRow> };

export async function findConnection(
  db: Db,
  orgId: string,
  vendor: Vendor,
): Promise<ConnectionSettings | undefined> {
  const found = await connectionRows(db, orgId, vendor);
  return found && toSettings(found.row, found.credentials);
}

async function connectionRows(db: Db, orgId: string, vendor: Vendor): Promise<Rows | undefined> {
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
  const none = noCredentials(VENDOR_PROFILES[vendor].defaultAuthMethod);
  const credentials = { sandbox: none, production: none };
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
  const existing = await connectionRows(db, orgId, vendor);
  const now = new Date().toISOString();
  const next = changedConnection(existing?.row ?? newConnection(orgId, vendor, now), changes, config);
  next.updated_at = now;

  const none = noCredentials(VENDOR_PROFILES[vendor].defaultAuthMethod);
  const credentials = { ...(existing?.credentials ?? { sandbox: none, production: none }) };
  for (const environment of environments) {
    credentials[environment] = changedCredentials(sealer, next.id, credentials[environment], changes);
  }

  await db.transaction().execute(async (trx) => {
    if (existing) await trx.updateTable('connection').set(next).where('id', '=', next.id).execute();
    else await trx.insertInto('connection').values(next).execute();
    for (const environment of ENVIRONMENTS) {
      const row = { connection_id: next.id, environment, ...credentials[environment], updated_at: now };
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

function newConnection(orgId: string, vendor: Vendor, now: string): ConnectionTable {
  return {
    id: newId('conn'),
    org_id: orgId,
    vendor,
    app_launch_url: null,
    cds_endpoint: null,
    cds_caching: 0,
    scopes: VENDOR_PROFILES[vendor].defaultScopes,
    signing_alg: null,
    assertion_jku: 0,
    created_at: now,
    updated_at: now,
  };
}

/** The connection row with `changes` applied, each checked (the credentials are apart). */
function changedConnection(
  current: ConnectionTable,
  changes: ConnectionChanges,
  config: Pick<Config, 'mode'>,
): ConnectionTable {
  const next = { ...current };
  const allowLoopbackHttp = config.mode !== 'production';
  if (changes.appLaunchUrl !== undefined) {
    next.app_launch_url =
      changes.appLaunchUrl && validateAdminUrl(changes.appLaunchUrl, 'app_launch_url', allowLoopbackHttp);
  }
  if (changes.cdsEndpoint !== undefined) {
    next.cds_endpoint =
      changes.cdsEndpoint && validateAdminUrl(changes.cdsEndpoint, 'cds_endpoint', allowLoopbackHttp);
  }
  if (changes.cdsCaching !== undefined) next.cds_caching = changes.cdsCaching ? 1 : 0;
  if (changes.scopes !== undefined) next.scopes = normalizeScopes(changes.scopes, next.vendor as Vendor);
  if (changes.signingAlg !== undefined) {
    const alg =
      changes.signingAlg === null ? 'auto' : oneOf(changes.signingAlg, SIGNING_ALG_CHOICES, 'signing_alg');
    next.signing_alg = alg === 'auto' ? null : alg;
  }
  if (changes.assertionJku !== undefined) next.assertion_jku = changes.assertionJku ? 1 : 0;
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
  /** The connection's assertion algorithm (null: the EHR's choice). */
  readonly signingAlg: SigningAlgorithm | null;
  /** Whether assertions carry our JWKS URL as `jku`. */
  readonly sendJku: boolean;
  /** The secret, opened now (null without one). */
  openSecret(): string | null;
}

/** The client for one request; `jwksUrl` is what `jku` carries when the connection asks for it. */
export function openClient(client: SealedClient, jwksUrl: string | null = null): ResolvedClient {
  return {
    clientId: client.clientId,
    clientSecret: client.openSecret(),
    authMethod: client.authMethod,
    signingAlg: client.signingAlg,
    jku: client.sendJku ? jwksUrl : null,
  };
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
  const assertion = { signingAlg: connection.signingAlg, sendJku: connection.assertionJku };
  const credentials = found.credentials[environment];
  if (!(credentials.use_custom_credentials && credentials.client_id)) {
    const platform = config.platformClients[vendor];
    const client: SealedClient | null = platform
      ? {
          clientId: platform.clientId,
          authMethod: platform.authMethod,
          hasSecret: platform.clientSecret !== null,
          ...assertion,
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
    ...assertion,
    openSecret: () => (sealed ? sealer.open(sealed, secretContext(connection.id)) : null),
  };
  return { connection, client };
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

function toSettings(
  row: ConnectionTable,
  credentials: Record<Environment, CredentialRow>,
): ConnectionSettings {
  return {
    id: row.id,
    orgId: row.org_id,
    vendor: row.vendor as Vendor,
    appLaunchUrl: row.app_launch_url,
    cdsEndpoint: row.cds_endpoint,
    cdsCaching: row.cds_caching === 1,
    scopes: row.scopes,
    signingAlg: (row.signing_alg as SigningAlgorithm | null) ?? null,
    assertionJku: row.assertion_jku === 1,
    credentials: {
      sandbox: credentialsView(credentials.sandbox),
      production: credentialsView(credentials.production),
    },
  };
}
