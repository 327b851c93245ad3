/**
 * `GET /api/auth/smart/launch/:orgId?iss=…&launch=…` — the SMART Launch URI the EHR opens.
 * Checks run in a visible order; the first that fails throws, and the HTML renderer shows it.
 * No outbound request happens before `iss` is known to be a registered FHIR source (SSRF).
 */

import { recordAudit } from '../audit/audit-log.ts';
import type { LookupCache } from '../db/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import {
  type ConnectionSettings,
  findConnectionAndClient,
  type ResolvedClient,
} from '../settings/connections.ts';
import {
  type Environment,
  type FhirSource,
  findFhirSourceByIss,
  type Vendor,
} from '../settings/fhir-sources.ts';
import { isLinked } from '../settings/org-links.ts';
import { findOrganization, type Organization } from '../settings/organizations.ts';
import { authorizeUrl, codeChallengeFor, newCodeVerifier } from '../smart/authorize-request.ts';
import type { SmartConfiguration } from '../smart/discovery.ts';
import { smartConfigurationFor } from '../settings/source-discovery.ts';
import { createPendingLaunch } from './ehr-launches.ts';
import { newState } from './launch-state.ts';
import { callbackUrl } from './urls.ts';

const MAX_ISS_LENGTH = 2048;
/** Epic's launch parameter can be a long JWT (docs/cerner.md §12). */
const MAX_LAUNCH_LENGTH = 4096;

export interface LaunchQuery {
  iss?: unknown;
  launch?: unknown;
}

/** Returns the EHR authorize URL to redirect the browser to. */
export async function startLaunch(
  services: Services,
  orgId: string,
  query: LaunchQuery,
  requestId: string,
  settings?: LookupCache<LaunchSettings>,
): Promise<URL> {
  const { iss, launch } = readLaunchQuery(query);
  const { db, sealer, config } = services;
  const key = `${orgId}\n${iss}`;
  let resolved = settings?.get(key);
  if (!resolved) {
    resolved = await loadLaunchSettings(services, orgId, iss, requestId);
    settings?.set(key, resolved);
  }
  const { org, source, connection, client, smart } = resolved;

  const state = newState();
  const codeVerifier = newCodeVerifier();
  const redirectUri = callbackUrl(config);
  await createPendingLaunch(
    db,
    sealer,
    {
      orgId: org.id,
      fhirSourceId: source.id,
      environment: source.environment,
      iss,
      clientId: client.clientId,
      requestedScope: connection.scopes,
      codeVerifier,
      redirectUri,
      requestId,
    },
    state,
  );
  return authorizeUrl({
    authorizationEndpoint: smart.authorizationEndpoint,
    clientId: client.clientId,
    redirectUri,
    scope: connection.scopes,
    state,
    aud: iss,
    launch,
    codeChallenge: codeChallengeFor(codeVerifier),
  });
}

/**
 * What a launch hop reads before it writes anything: org, registered source, connection, client
 * and the source's SMART configuration. Launches repeat it for every clinician, so the launch
 * routes remember a complete answer for `lookupCacheMs` (config); a settings change made in the
 * console reaches launches within that time. Failures are never remembered.
 */
export interface LaunchSettings {
  readonly org: Organization;
  readonly source: FhirSource;
  readonly connection: ConnectionSettings;
  readonly client: ResolvedClient;
  readonly smart: SmartConfiguration;
}

async function loadLaunchSettings(
  services: Services,
  orgId: string,
  iss: string,
  requestId: string,
): Promise<LaunchSettings> {
  const { db, sealer, http, config } = services;
  const org = await findOrganization(db, orgId);
  if (!org) throw new ChartsideError('org_not_found', { details: { Organization: orgId } });

  const source = await findFhirSourceByIss(db, iss);
  if (!source) throw new ChartsideError('fhir_source_not_found', { details: { iss } });
  // Another hospital's tenant: refused before anything is sent to it (guide, Going to Production).
  if (!(await isLinked(db, org.id, source.id))) throw await notLinked(services, org, source, requestId);

  const environment = source.environment as Environment;
  const found = await findConnectionAndClient(
    db,
    sealer,
    config,
    org.id,
    source.vendor as Vendor,
    environment,
  );
  if (!found) {
    throw new ChartsideError('connection_not_configured', {
      message: `This organization has no ${vendorName(source.vendor)} connection configured yet.`,
      details: { Organization: org.name },
    });
  }
  const { connection, client } = found;
  if (!client) {
    throw new ChartsideError('connection_not_configured', {
      message: `The ${vendorName(source.vendor)} connection has no client credentials for ${environment}: turn on “Use custom credentials” and enter the Client ID.`,
      details: { Organization: org.name },
    });
  }
  if (client.authMethod === 'client_secret_basic' && !client.clientSecret) {
    throw new ChartsideError('connection_not_configured', {
      message: `The ${vendorName(source.vendor)} connection uses client_secret_basic but has no client secret.`,
      details: { Organization: org.name },
    });
  }
  if (!connection.appLaunchUrl) {
    throw new ChartsideError('connection_not_configured', {
      message: `The ${vendorName(source.vendor)} connection has no App launch URL to send the clinician to.`,
      details: { Organization: org.name },
    });
  }

  const smart = await smartConfigurationFor(db, http, source, config);
  return { org, source, connection, client, smart };
}

function readLaunchQuery(query: LaunchQuery): { iss: string; launch: string } {
  const iss = query.iss;
  const launch = query.launch;
  if (typeof iss !== 'string' || iss === '') {
    throw new ChartsideError('invalid_launch_request', {
      param: 'iss',
      message: 'The launch is missing the iss parameter.',
    });
  }
  if (iss.length > MAX_ISS_LENGTH) {
    throw new ChartsideError('invalid_launch_request', {
      param: 'iss',
      message: 'The iss parameter is too long.',
    });
  }
  if (typeof launch !== 'string' || launch === '') {
    throw new ChartsideError('invalid_launch_request', {
      param: 'launch',
      message: 'The launch is missing the launch parameter.',
    });
  }
  if (launch.length > MAX_LAUNCH_LENGTH) {
    throw new ChartsideError('invalid_launch_request', {
      param: 'launch',
      message: 'The launch parameter is too long.',
    });
  }
  return { iss, launch };
}

/** The refusal page names the organization and the iss; the attempt is in the org's audit trail. */
async function notLinked(
  services: Services,
  org: Organization,
  source: FhirSource,
  requestId: string,
): Promise<ChartsideError> {
  await recordAudit(services.db, {
    action: 'launch.refused',
    actor: 'ehr',
    orgId: org.id,
    requestId,
    details: { code: 'fhir_source_not_linked', fhir_source: source.id, iss: source.fhir_base_url },
  });
  return new ChartsideError('fhir_source_not_linked', {
    message: `The organization “${org.name}” is not linked to the EHR tenant ${source.fhir_base_url}, so it cannot launch from it. A platform admin links them with chartside org link.`,
    details: { Organization: org.id, iss: source.fhir_base_url },
  });
}

function vendorName(vendor: string): string {
  return vendor === 'cerner' ? 'Cerner' : vendor === 'epic' ? 'Epic' : 'SMART';
}
