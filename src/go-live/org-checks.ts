/**
 * The organization's half of the go-live check: its production tenants answer SMART discovery,
 * and each of their vendors' connections has production credentials and a real App launch URL.
 */
import { SealError } from '../crypto/sealing.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { isLoopbackHost, urlPolicyFor } from '../http/url-policy.ts';
import { findConnection, findConnectionAndClient } from '../settings/connections.ts';
import { type FhirSource, VENDOR_LABELS, type Vendor } from '../settings/fhir-sources.ts';
import { launchShape } from '../settings/launch-settings.ts';
import { capabilityMismatches } from '../smart/capabilities.ts';
import {
  describeDiscoveryFailure,
  discoverSmartConfiguration,
  type SmartConfiguration,
} from '../smart/discovery.ts';
import type { GoLiveCheck, GoLiveDeps } from './report.ts';

const NO_PRODUCTION_SOURCE =
  'No production FHIR source is linked to this organization. A platform admin adds the hospital’s tenant with environment production (chartside source add --iss URL --vendor cerner --environment production) and links it (chartside org link --org ID --source ID, or Settings → FHIR sources).';

type Outcome = { ok: boolean; text: string };

/** One check over several items (sources, vendors): it passes when every item does. */
async function checkEach<T>(
  name: GoLiveCheck['name'],
  items: readonly T[],
  whenNone: string,
  checkOne: (item: T) => Promise<Outcome>,
): Promise<GoLiveCheck> {
  if (items.length === 0) return { name, ok: false, detail: whenNone };
  const outcomes = await Promise.all(items.map(checkOne));
  return { name, ok: outcomes.every((o) => o.ok), detail: outcomes.map((o) => o.text).join(' ') };
}

const NO_PRODUCTION_VENDOR = 'No production FHIR source is linked, so no connection to check yet.';

/**
 * Discovery of every linked production source, fresh (the cached copy proves nothing about
 * today) and through the same policy a launch uses: public addresses only, unless the operator
 * allow-listed a private range. What it advertises is then held against the org's connection,
 * as a launch would (src/smart/capabilities.ts): a mismatch fails the check.
 */
export async function productionDiscoveryCheck(
  deps: GoLiveDeps,
  orgId: string,
  production: readonly FhirSource[],
): Promise<GoLiveCheck> {
  return checkEach('production_sources_discovery', production, NO_PRODUCTION_SOURCE, async (source) => {
    const label = `${source.name} (${source.id}, ${source.fhir_base_url})`;
    try {
      const policy = urlPolicyFor(source, deps.config.allowPrivateUpstreams);
      const found = await discoverSmartConfiguration(deps.http, source.fhir_base_url, policy);
      const document = found.source === 'metadata' ? '/metadata' : '.well-known/smart-configuration';
      const mismatches = await connectionMismatches(deps, orgId, source, found);
      if (mismatches.length > 0) {
        return bad(
          `${label}: SMART discovery answered (${document}), but it does not offer what the connection asks for: ${mismatches.join(' ')}`,
        );
      }
      return { ok: true, text: `${label}: SMART discovery answered (${document}).` };
    } catch (error) {
      const privateHint =
        error instanceof ChartsideError && error.code === 'ehr_endpoint_not_allowed'
          ? ' If this is an on-premises EHR on a private network, allow its range with CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS.'
          : '';
      return {
        ok: false,
        text: `${label}: discovery failed. ${describeDiscoveryFailure(error).replace(/\.+$/, '.')}${privateHint}`,
      };
    }
  });
}

/** What `smart` refuses of an EHR launch with the org's connection and production client for the source's vendor. */
async function connectionMismatches(
  deps: GoLiveDeps,
  orgId: string,
  source: FhirSource,
  smart: SmartConfiguration,
): Promise<string[]> {
  const vendor = source.vendor as Vendor;
  const found = await findConnectionAndClient(deps.db, deps.sealer, deps.config, orgId, vendor, 'production');
  // No connection or client is production_credentials' to report.
  if (!found?.client) return [];
  return capabilityMismatches(smart, launchShape(found.connection, found.client, 'ehr')).map(
    (m) => m.message,
  );
}

/** The client each production vendor's launches will use, as the launch itself resolves it. */
export async function productionCredentialsCheck(
  deps: GoLiveDeps,
  orgId: string,
  production: readonly FhirSource[],
): Promise<GoLiveCheck> {
  return checkEach('production_credentials', vendorsOf(production), NO_PRODUCTION_VENDOR, async (vendor) => {
    const label = VENDOR_LABELS[vendor];
    const found = await findConnectionAndClient(
      deps.db,
      deps.sealer,
      deps.config,
      orgId,
      vendor,
      'production',
    );
    if (!found) return bad(`${label}: no connection. Set it up under Settings → Connections → ${label}.`);
    const { connection, client } = found;
    if (!client) {
      return bad(
        `${label}: no production credentials. Turn on Use custom credentials for production and enter the Client ID, or configure the platform client (CHARTSIDE_${vendor.toUpperCase()}_CLIENT_ID).`,
      );
    }
    try {
      client.openSecret();
    } catch (error) {
      // The stored secret was sealed under another master key (a restored or copied database).
      if (!(error instanceof SealError)) throw error;
      return bad(
        `${label}: the stored production client secret cannot be opened with this deployment’s master key. Enter it again.`,
      );
    }
    if (client.authMethod === 'client_secret_basic' && !client.hasSecret) {
      return bad(
        `${label}: the production client ${client.clientId} uses client_secret_basic but has no client secret. Enter it, or use private_key_jwt.`,
      );
    }
    const whose = connection.credentials.production.useCustomCredentials
      ? 'custom client'
      : 'platform client';
    return { ok: true, text: `${label}: ${whose} ${client.clientId} (${client.authMethod}).` };
  });
}

/** Where the clinician lands after a launch must be the real app, not a test page or a sample. */
export async function appLaunchUrlCheck(
  deps: GoLiveDeps,
  orgId: string,
  production: readonly FhirSource[],
): Promise<GoLiveCheck> {
  return checkEach('app_launch_url', vendorsOf(production), NO_PRODUCTION_VENDOR, async (vendor) => {
    const label = VENDOR_LABELS[vendor];
    const connection = await findConnection(deps.db, orgId, vendor);
    const url = connection?.appLaunchUrl;
    if (!url) return bad(`${label}: no App launch URL. Enter your app’s launch page on the connection.`);
    const problem = placeholderProblem(url);
    if (problem)
      return bad(`${label}: the App launch URL ${url} ${problem}. Enter your app’s real launch page.`);
    return { ok: true, text: `${label}: ${url}.` };
  });
}

/** Reserved for documentation and testing (RFC 2606, RFC 6761): never a real app. */
const RESERVED_HOST = /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$/i;

/** Why an App launch URL looks like a placeholder, or null when it does not. */
export function placeholderProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.protocol !== 'https:') return 'is not https';
  const host = url.hostname.replace(/\.$/, '');
  if (isLoopbackHost(host) || host === '0.0.0.0' || RESERVED_HOST.test(host))
    return `points at ${host}, which is not a real app’s host`;
  if (/\/launch-debug\/?$/.test(url.pathname)) return 'is Chartside’s /launch-debug test page';
  return null;
}

function vendorsOf(sources: readonly FhirSource[]): Vendor[] {
  return [...new Set(sources.map((source) => source.vendor as Vendor))].sort();
}

function bad(text: string) {
  return { ok: false, text };
}
