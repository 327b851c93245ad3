/**
 * Discovery results cached per FHIR source in the database (so every process shares them),
 * trusted for `discoveryTtlSeconds`.
 */
import type { Db, FhirSourceTable } from '../db/index.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import type { UrlPolicy } from '../http/url-policy.ts';
import { discoverSmartConfiguration, type SmartConfiguration } from './discovery.ts';

export function urlPolicyFor(source: Pick<FhirSourceTable, 'environment'>): UrlPolicy {
  // Only sandbox sources may use plain http, and then only on loopback (checked per URL).
  // Production sources' endpoints must be public addresses (SSRF guard, src/http/addresses.ts).
  return {
    allowLoopbackHttp: source.environment === 'sandbox',
    publicAddressesOnly: source.environment !== 'sandbox',
  };
}

export async function smartConfigurationFor(
  db: Db,
  http: OutboundHttp,
  source: FhirSourceTable,
  ttlSeconds: number,
  now = new Date(),
): Promise<SmartConfiguration> {
  if (source.discovery && source.discovered_at) {
    const age = (now.getTime() - Date.parse(source.discovered_at)) / 1000;
    if (age >= 0 && age < ttlSeconds) return JSON.parse(source.discovery) as SmartConfiguration;
  }
  const configuration = await discoverSmartConfiguration(http, source.fhir_base_url, urlPolicyFor(source));
  await db
    .updateTable('fhir_source')
    .set({ discovery: JSON.stringify(configuration), discovered_at: now.toISOString() })
    .where('id', '=', source.id)
    .execute();
  return configuration;
}
