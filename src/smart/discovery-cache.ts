/**
 * Discovery results cached per FHIR source in the database (so every process shares them),
 * trusted for `discoveryTtlSeconds`.
 */
import type { Config } from '../config/index.ts';
import type { Db, FhirSourceTable } from '../db/index.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import { discoverSmartConfiguration, type SmartConfiguration } from './discovery.ts';

export async function smartConfigurationFor(
  db: Db,
  http: OutboundHttp,
  source: FhirSourceTable,
  config: Pick<Config, 'discoveryTtlSeconds' | 'allowPrivateUpstreams'>,
  now = new Date(),
): Promise<SmartConfiguration> {
  if (source.discovery && source.discovered_at) {
    const age = (now.getTime() - Date.parse(source.discovered_at)) / 1000;
    if (age >= 0 && age < config.discoveryTtlSeconds)
      return JSON.parse(source.discovery) as SmartConfiguration;
  }
  const policy = urlPolicyFor(source, config.allowPrivateUpstreams);
  const configuration = await discoverSmartConfiguration(http, source.fhir_base_url, policy);
  await db
    .updateTable('fhir_source')
    .set({ discovery: JSON.stringify(configuration), discovered_at: now.toISOString() })
    .where('id', '=', source.id)
    .execute();
  return configuration;
}
