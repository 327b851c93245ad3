/**
 * What a launch reads before it does anything: the organization, the registered FHIR source it is
 * linked to, the connection for the source's vendor, the client of the source's environment, and
 * the source's SMART configuration. Both launch hops, the token renewal's client check and the
 * console's readiness ask this one function, so a launch is refused for the same reasons, in the
 * same order, wherever it is asked. The first check that fails throws; nothing has been sent to
 * the EHR before the source is known to be registered and linked (SSRF, tenant binding).
 */
import type { Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import {
  capabilityMismatches,
  type LaunchMode,
  type LaunchShape,
  type Mismatch,
} from '../smart/capabilities.ts';
import type { SmartConfiguration } from '../smart/discovery.ts';
import { type ConnectionSettings, findConnectionAndClient, type SealedClient } from './connections.ts';
import {
  type Environment,
  type FhirSource,
  findFhirSource,
  findFhirSourceByIss,
  VENDOR_LABELS,
  type Vendor,
} from './fhir-sources.ts';
import { isLinked } from './org-links.ts';
import { findOrganization, type Organization } from './organizations.ts';
import { smartConfigurationFor } from './source-discovery.ts';

/**
 * A complete answer, safe to remember for `lookupCacheMs` (the launch routes do): the client's
 * secret stays sealed until a request opens it (connections.ts openClient).
 */
export interface LaunchSettings {
  readonly org: Organization;
  readonly source: FhirSource;
  readonly environment: Environment;
  readonly connection: ConnectionSettings & { readonly appLaunchUrl: string };
  readonly client: SealedClient;
  readonly smart: SmartConfiguration;
}

export interface LaunchSettingsDeps {
  readonly db: Db;
  readonly sealer: Sealer;
  readonly http: OutboundHttp;
  readonly config: Pick<Config, 'platformClients' | 'discoveryTtlSeconds' | 'allowPrivateUpstreams'>;
}

/** The source a launch names: by the `iss` the EHR sent (first hop), or by id (the callback). */
export type LaunchSource = { readonly iss: string } | { readonly sourceId: string };

export async function resolveLaunchSettings(
  deps: LaunchSettingsDeps,
  orgId: string,
  named: LaunchSource,
): Promise<LaunchSettings> {
  const { db, sealer, http, config } = deps;
  const org = await findOrganization(db, orgId);
  if (!org) throw new ChartsideError('org_not_found', { details: { Organization: orgId } });

  const source =
    'iss' in named ? await findFhirSourceByIss(db, named.iss) : await findFhirSource(db, named.sourceId);
  if (!source) {
    throw new ChartsideError('fhir_source_not_found', {
      details: { iss: 'iss' in named ? named.iss : null },
    });
  }
  // Another hospital's tenant (guide, "Going to Production": the customer's org points at it).
  if (!(await isLinked(db, org.id, source.id))) {
    throw new ChartsideError('fhir_source_not_linked', {
      message: `The organization “${org.name}” is not linked to the EHR tenant ${source.fhir_base_url}, so it cannot launch from it. A platform admin links them with chartside org link.`,
      details: { Organization: org.id, iss: source.fhir_base_url },
    });
  }

  const environment = source.environment as Environment;
  const vendor = VENDOR_LABELS[source.vendor as Vendor] ?? source.vendor;
  const found = await findConnectionAndClient(
    db,
    sealer,
    config,
    org.id,
    source.vendor as Vendor,
    environment,
  );
  const notReady = (message: string) =>
    new ChartsideError('connection_not_configured', { message, details: { Organization: org.name } });
  if (!found) throw notReady(`This organization has no ${vendor} connection configured yet.`);
  const { connection, client } = found;
  if (!client) {
    throw notReady(
      `The ${vendor} connection has no client credentials for ${environment}: turn on “Use custom credentials” and enter the Client ID.`,
    );
  }
  if (client.authMethod === 'client_secret_basic' && !client.hasSecret) {
    throw notReady(`The ${vendor} connection uses client_secret_basic but has no client secret.`);
  }
  const { appLaunchUrl } = connection;
  if (!appLaunchUrl) {
    throw notReady(`The ${vendor} connection has no App launch URL to send the clinician to.`);
  }

  const smart = await smartConfigurationFor(db, http, source, config);
  return { org, source, environment, connection: { ...connection, appLaunchUrl }, client, smart };
}

/** What a launch of `mode` with this connection and client asks of the EHR. */
export function launchShape(
  connection: Pick<ConnectionSettings, 'scopes' | 'signingAlg'>,
  client: Pick<SealedClient, 'authMethod'>,
  mode: LaunchMode,
): LaunchShape {
  return {
    mode,
    authMethod: client.authMethod,
    signingAlg: connection.signingAlg,
    scopes: connection.scopes,
  };
}

/**
 * Refuse a launch the EHR's SMART configuration says it will not take, before the clinician is
 * sent there: `ehr_capability_mismatch`, each mismatch named on the page.
 */
export function refuseCapabilityMismatches(settings: LaunchSettings, mode: LaunchMode): void {
  const mismatches = capabilityMismatches(
    settings.smart,
    launchShape(settings.connection, settings.client, mode),
  );
  if (mismatches.length === 0) return;
  throw new ChartsideError('ehr_capability_mismatch', {
    message:
      mode === 'standalone' && mismatches.some((m) => m.message.includes('launch-standalone'))
        ? 'This EHR does not offer standalone launch.'
        : undefined,
    details: mismatchDetails(mismatches, settings.source.fhir_base_url),
  });
}

/** The mismatches as the error page lists them: one row per discovery field at odds. */
function mismatchDetails(mismatches: readonly Mismatch[], iss: string): Record<string, string> {
  const details: Record<string, string> = { iss };
  for (const mismatch of mismatches) {
    let key = mismatch.field;
    for (let n = 2; key in details; n++) key = `${mismatch.field} (${n})`;
    details[key] = mismatch.message;
  }
  return details;
}
