/**
 * `GET /api/auth/smart/launch/:orgId?iss=…&launch=…` — the SMART Launch URI the EHR opens.
 * Checks run in a visible order; the first that fails throws, and the HTML renderer shows it.
 * No outbound request happens before `iss` is known to be a registered FHIR source (SSRF).
 */

import { recordAudit } from '../audit/audit-log.ts';
import type { LookupCache } from '../cache/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import { type LaunchSettings, resolveLaunchSettings } from '../settings/launch-settings.ts';
import { authorizeUrl, codeChallengeFor, newCodeVerifier } from '../smart/authorize-request.ts';
import { createPendingLaunch } from './ehr-launches.ts';
import { newState } from './launch-state.ts';
import type { LaunchQuery } from './schemas.ts';
import { callbackUrl } from './urls.ts';

/** Returns the EHR authorize URL to redirect the browser to. */
export async function startLaunch(
  services: Services,
  orgId: string,
  query: LaunchQuery,
  requestId: string,
  settings?: LookupCache<LaunchSettings>,
): Promise<URL> {
  // Present, single and of a sane length: the route's schema (schemas.ts) checked them.
  const began = performance.now();
  const { iss, launch } = query;
  const { db, sealer, config } = services;
  const { org, source, environment, connection, client, smart } = await settingsFor(
    services,
    orgId,
    iss,
    requestId,
    settings,
  );

  const state = newState();
  const codeVerifier = newCodeVerifier();
  const redirectUri = callbackUrl(config);
  await createPendingLaunch(
    db,
    sealer,
    {
      orgId: org.id,
      fhirSourceId: source.id,
      environment,
      iss,
      clientId: client.clientId,
      requestedScope: connection.scopes,
      codeVerifier,
      redirectUri,
      requestId,
    },
    state,
  );
  services.metrics.launchStarted({ vendor: source.vendor, environment }, (performance.now() - began) / 1000);
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
 * The launch's settings (settings/launch-settings.ts), remembered for `lookupCacheMs`: launches
 * repeat the same reads for every clinician, and a change made in the console reaches launches
 * within that time. Failures are never remembered; a refused tenant is audited for the org.
 */
async function settingsFor(
  services: Services,
  orgId: string,
  iss: string,
  requestId: string,
  settings: LookupCache<LaunchSettings> | undefined,
): Promise<LaunchSettings> {
  const key = `iss\n${orgId}\n${iss}`;
  const remembered = settings?.get(key);
  if (remembered) return remembered;
  try {
    const resolved = await resolveLaunchSettings(services, orgId, { iss });
    settings?.set(key, resolved);
    return resolved;
  } catch (error) {
    if (error instanceof ChartsideError && error.code === 'fhir_source_not_linked') {
      await recordAudit(services.db, {
        action: 'launch.refused',
        actor: 'ehr',
        orgId,
        requestId,
        details: { code: error.code, iss },
      });
    }
    throw error;
  }
}
