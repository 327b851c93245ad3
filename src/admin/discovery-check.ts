/**
 * Run SMART discovery for a source on an operator's request and say what was found or, in our
 * own words, why it failed (never the EHR's response body).
 */
import type { FhirSourceTable } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError } from '../http/outbound.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import type { Services } from '../services.ts';
import { discoverSmartConfiguration, type SmartConfiguration } from '../smart/discovery.ts';

export type DiscoveryOutcome =
  | { ok: true; configuration: SmartConfiguration }
  | { ok: false; reason: string };

export async function checkDiscovery(
  services: Pick<Services, 'db' | 'http' | 'config'>,
  source: FhirSourceTable,
): Promise<DiscoveryOutcome> {
  try {
    const configuration = await discoverSmartConfiguration(
      services.http,
      source.fhir_base_url,
      urlPolicyFor(source, services.config.allowPrivateUpstreams),
    );
    await services.db
      .updateTable('fhir_source')
      .set({ discovery: JSON.stringify(configuration), discovered_at: new Date().toISOString() })
      .where('id', '=', source.id)
      .execute();
    return { ok: true, configuration };
  } catch (error) {
    return { ok: false, reason: describeFailure(error) };
  }
}

/** The cached discovery of a source, if any. */
export function storedDiscovery(source: FhirSourceTable): SmartConfiguration | null {
  if (!source.discovery) return null;
  try {
    return JSON.parse(source.discovery) as SmartConfiguration;
  } catch {
    return null;
  }
}

export function describeFailure(error: unknown): string {
  if (error instanceof ChartsideError && error.code === 'insecure_endpoint') return error.message;
  if (error instanceof ChartsideError && error.code === 'discovery_failed') {
    const cause = error.cause as { smartConfiguration?: unknown; metadata?: unknown } | undefined;
    return `${error.message} .well-known/smart-configuration: ${reason(cause?.smartConfiguration)}. /metadata: ${reason(cause?.metadata)}.`;
  }
  return `${reason(error)}.`;
}

/** Our own messages only: they name what went wrong, never what the server sent. */
function reason(error: unknown): string {
  if (error instanceof OutboundError) return error.message;
  if (error instanceof ChartsideError) return error.message;
  if (
    error instanceof Error &&
    /^(invalid SMART discovery document|smart-configuration answered|metadata answered)/.test(error.message)
  )
    return error.message;
  return 'unexpected error';
}
