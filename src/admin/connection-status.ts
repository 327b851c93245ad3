/**
 * What the Clinical Workflow page shows beside the settings: the URLs to register in the EHR,
 * and whether the next launch can start (the same checks, in the same order, as start-launch).
 */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { callbackUrl, jwksUrl, launchUrl, standaloneLaunchUrl } from '../launch/urls.ts';
import type { ConnectionSettings } from '../settings/connections.ts';
import { type Environment, type FhirSource, VENDOR_LABELS, type Vendor } from '../settings/fhir-sources.ts';
import { launchShape } from '../settings/launch-settings.ts';
import { linkedEnvironments, listLinkedSources } from '../settings/org-links.ts';
import { storedDiscovery } from '../settings/source-discovery.ts';
import { capabilityMismatches, scopesNotAdvertised } from '../smart/capabilities.ts';

export const VENDOR_PRODUCTS: Record<Vendor, string> = {
  cerner: 'Oracle Health (Cerner) Millennium, launched from PowerChart',
  epic: 'Epic, launched from Hyperspace or Haiku',
  smart: 'any EHR that supports the SMART App Launch (1.0 or 2.x)',
};

/** The org-scoped CDS Hooks discovery URL the EHR calls (README.md#cds-hooks-relay). */
export function cdsHooksUrl(config: Pick<Config, 'publicUrl'>, orgId: string): string {
  return `${config.publicUrl}/api/cds/${encodeURIComponent(orgId)}/cds-services`;
}

export interface RegistrationUrls {
  launchUrl: string;
  /** The standalone launch link without its `?iss=` (one per FHIR source, see standaloneLinks). */
  standaloneUrl: string;
  cdsHooksUrl: string;
  redirectUri: string;
  jwksUri: string;
}

export function registrationUrls(config: Pick<Config, 'publicUrl'>, orgId: string): RegistrationUrls {
  return {
    launchUrl: launchUrl(config, orgId),
    standaloneUrl: standaloneLaunchUrl(config, orgId),
    cdsHooksUrl: cdsHooksUrl(config, orgId),
    redirectUri: callbackUrl(config),
    jwksUri: jwksUrl(config),
  };
}

/** Why a launch for this vendor cannot start yet; empty when it can. */
export async function launchBlockers(
  db: Db,
  config: Pick<Config, 'platformClients'>,
  vendor: Vendor,
  connection: ConnectionSettings | undefined,
): Promise<string[]> {
  const label = VENDOR_LABELS[vendor];
  if (!connection) return ['Not set up yet: fill in this page and save it.'];
  const problems: string[] = [];
  const linked = await linkedEnvironments(db, connection.orgId, vendor);
  if (linked.length === 0) {
    problems.push(
      `No ${label} FHIR source is linked to this organization, so a launch’s iss will not be accepted. A platform admin links it under Settings → FHIR sources.`,
    );
  }
  // The credentials of each environment this organization launches in (both until it is linked).
  const environments: Environment[] =
    linked.length > 0 ? (linked as Environment[]) : ['sandbox', 'production'];
  for (const environment of environments) {
    const credentials = connection.credentials[environment];
    const where = environments.length > 1 || linked.length > 0 ? ` (${environment})` : '';
    const custom = credentials.useCustomCredentials && credentials.clientId;
    if (!custom && !config.platformClients[vendor]) {
      problems.push(`No client credentials${where}: turn on Use custom credentials and enter the Client ID.`);
    }
    if (custom && credentials.authMethod === 'client_secret_basic' && !credentials.hasClientSecret) {
      problems.push(`client_secret_basic needs a client secret${where}: enter it, or use private_key_jwt.`);
    }
  }
  if (!connection.appLaunchUrl) {
    problems.push('No App launch URL: Chartside has nowhere to send the clinician after the launch.');
  }
  for (const { source, mismatches } of await discoveryChecks(db, config, vendor, connection)) {
    for (const mismatch of mismatches) problems.push(`${source.name} (${source.fhir_base_url}): ${mismatch}`);
  }
  return problems;
}

export interface SourceCheck {
  readonly source: FhirSource;
  /** Whether a SMART configuration is kept for it (from a launch or the console's Check again). */
  readonly discovered: boolean;
  /** What its configuration refuses of an EHR launch with this connection. */
  readonly mismatches: readonly string[];
  /** Requested scopes its `scopes_supported` does not list (a hint, not a refusal). */
  readonly scopesNotAdvertised: readonly string[];
  readonly standalone: boolean;
}

/**
 * The connection held against each linked source's kept SMART configuration, as a launch would
 * be (src/smart/capabilities.ts). No network: a page load must not call the EHR; the source's
 * Check again (or a launch) refreshes what is kept.
 */
export async function discoveryChecks(
  db: Db,
  config: Pick<Config, 'platformClients'>,
  vendor: Vendor,
  connection: ConnectionSettings,
): Promise<SourceCheck[]> {
  const sources = (await listLinkedSources(db, connection.orgId)).filter(
    (source) => source.vendor === vendor,
  );
  return sources.map((source) => {
    const smart = storedDiscovery(source);
    const environment = source.environment as Environment;
    const credentials = connection.credentials[environment];
    const authMethod = credentials.useCustomCredentials
      ? credentials.authMethod
      : (config.platformClients[vendor]?.authMethod ?? credentials.authMethod);
    if (!smart) {
      return { source, discovered: false, mismatches: [], scopesNotAdvertised: [], standalone: false };
    }
    const mismatches = capabilityMismatches(smart, launchShape(connection, { authMethod }, 'ehr'));
    return {
      source,
      discovered: true,
      mismatches: mismatches.map((m) => m.message),
      scopesNotAdvertised: scopesNotAdvertised(smart, connection.scopes),
      standalone: smart.capabilities.includes('launch-standalone'),
    };
  });
}
