/**
 * A FHIR source's SMART configuration: discovered through the source's address policy, kept in
 * its row (so every process shares it) and trusted for `discoveryTtlSeconds` by launches; checked
 * afresh on an operator's request. The only writer of the `discovery` columns.
 */
import type { Config } from '../config/index.ts';
import type { Db, FhirSourceTable } from '../db/index.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import {
  describeDiscoveryFailure,
  discoverSmartConfiguration,
  type SmartConfiguration,
} from '../smart/discovery.ts';

export async function smartConfigurationFor(
  db: Db,
  http: OutboundHttp,
  source: FhirSourceTable,
  config: Pick<Config, 'discoveryTtlSeconds' | 'allowPrivateUpstreams'>,
  now = new Date(),
): Promise<SmartConfiguration> {
  if (source.discovery && source.discovered_at) {
    const age = (now.getTime() - Date.parse(source.discovered_at)) / 1000;
    if (age >= 0 && age < config.discoveryTtlSeconds) return fromStored(source.discovery);
  }
  return discoverAndKeep(db, http, source, config, now);
}

async function discoverAndKeep(
  db: Db,
  http: OutboundHttp,
  source: FhirSourceTable,
  config: Pick<Config, 'allowPrivateUpstreams'>,
  now = new Date(),
): Promise<SmartConfiguration> {
  const policy = urlPolicyFor(source, config.allowPrivateUpstreams);
  const configuration = await discoverSmartConfiguration(http, source.fhir_base_url, policy);
  await db
    .updateTable('fhir_source')
    .set({ discovery: JSON.stringify(configuration), discovered_at: now.toISOString() })
    .where('id', '=', source.id)
    .execute();
  return configuration;
}

export type DiscoveryOutcome =
  | { ok: true; configuration: SmartConfiguration }
  | { ok: false; reason: string };

/** Discover now (an operator asked), keep the result, and say what was found or why it failed. */
export async function checkDiscovery(
  { db, http, config }: { db: Db; http: OutboundHttp; config: Pick<Config, 'allowPrivateUpstreams'> },
  source: FhirSourceTable,
): Promise<DiscoveryOutcome> {
  try {
    return { ok: true, configuration: await discoverAndKeep(db, http, source, config) };
  } catch (error) {
    return { ok: false, reason: describeDiscoveryFailure(error) };
  }
}

/** The kept discovery of a source, if any. */
export function storedDiscovery(source: FhirSourceTable): SmartConfiguration | null {
  if (!source.discovery) return null;
  try {
    return fromStored(source.discovery);
  } catch {
    return null;
  }
}

/**
 * A kept document, with the lists an older Chartside did not keep yet as empty ones (an empty
 * list says nothing: src/smart/capabilities.ts refuses nothing for it).
 */
function fromStored(json: string): SmartConfiguration {
  const stored = JSON.parse(json) as Partial<SmartConfiguration> & SmartConfiguration;
  return { ...stored, tokenEndpointAuthSigningAlgs: stored.tokenEndpointAuthSigningAlgs ?? [] };
}
