/**
 * What the Clinical Workflow page shows beside the settings: the URLs to register in the EHR,
 * and whether the next launch can start (the same checks, in the same order, as start-launch).
 */
import type { Config } from '../config/index.ts';
import type { Db } from '../db/index.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../launch/urls.ts';
import type { ConnectionSettings } from '../settings/connections.ts';
import type { Vendor } from '../settings/fhir-sources.ts';

export const VENDOR_LABELS: Record<Vendor, string> = {
  cerner: 'Cerner',
  epic: 'Epic',
  smart: 'Other SMART EHR',
};

export const VENDOR_PRODUCTS: Record<Vendor, string> = {
  cerner: 'Oracle Health (Cerner) Millennium, launched from PowerChart',
  epic: 'Epic, launched from Hyperspace or Haiku',
  smart: 'any EHR that supports the SMART App Launch (v1 or v2)',
};

/** The org-scoped CDS Hooks discovery URL the EHR calls (DESIGN.md wire contract). */
export function cdsHooksUrl(config: Pick<Config, 'publicUrl'>, orgId: string): string {
  return `${config.publicUrl}/api/cds/${encodeURIComponent(orgId)}/cds-services`;
}

export interface RegistrationUrls {
  launchUrl: string;
  cdsHooksUrl: string;
  redirectUri: string;
  jwksUri: string;
}

export function registrationUrls(config: Pick<Config, 'publicUrl'>, orgId: string): RegistrationUrls {
  return {
    launchUrl: launchUrl(config, orgId),
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
  const source = await db
    .selectFrom('fhir_source')
    .select('id')
    .where('vendor', '=', vendor)
    .executeTakeFirst();
  if (!source) {
    problems.push(
      `No ${label} FHIR source is registered, so a launch’s iss will not be recognized. Add it under Settings → FHIR sources.`,
    );
  }
  const custom = connection.useCustomCredentials && connection.clientId;
  if (!custom && !config.platformClients[vendor]) {
    problems.push('No client credentials: turn on Use custom credentials and enter the Client ID.');
  }
  if (custom && connection.authMethod === 'client_secret_basic' && !connection.hasClientSecret) {
    problems.push('client_secret_basic needs a client secret: enter it, or use private_key_jwt.');
  }
  if (!connection.appLaunchUrl) {
    problems.push('No App launch URL: Chartside has nowhere to send the clinician after the launch.');
  }
  return problems;
}
