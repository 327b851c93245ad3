/**
 * The first hop of a launch, EHR or standalone:
 * - `GET /api/auth/smart/launch/:orgId?iss=…&launch=…`, the SMART Launch URI the EHR opens;
 * - `GET /api/auth/smart/standalone/:orgId?iss=…`, the app's "Sign in with the EHR" link, for a
 *   provider app opened outside the EHR (SMART App Launch, "standalone launch": no `launch`, and
 *   `launch/patient` instead of the `launch` scope).
 * Checks run in a visible order; the first that fails throws, and the HTML renderer shows it.
 * No outbound request happens before `iss` is known to be a registered FHIR source (SSRF), and
 * nobody is sent to the EHR for what its SMART configuration says it will not take.
 */

import { recordAudit } from '../audit/audit-log.ts';
import type { LookupCache } from '../cache/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import {
  type LaunchSettings,
  refuseCapabilityMismatches,
  resolveLaunchSettings,
} from '../settings/launch-settings.ts';
import { authorizeUrl, codeChallengeFor, newCodeVerifier } from '../smart/authorize-request.ts';
import { offersStandaloneEncounter } from '../smart/capabilities.ts';
import { standaloneScopes } from '../smart/scopes.ts';
import { createPendingLaunch } from './ehr-launches.ts';
import { newState } from './launch-state.ts';
import { callbackUrl } from './urls.ts';

/** What the first hop received: the EHR's `iss` and `launch`, or (standalone) the `iss` alone. */
export type LaunchRequest =
  | { readonly mode: 'ehr'; readonly iss: string; readonly launch: string }
  | { readonly mode: 'standalone'; readonly iss: string };

/** Returns the EHR authorize URL to redirect the browser to. */
export async function startLaunch(
  services: Services,
  orgId: string,
  request: LaunchRequest,
  requestId: string,
  settings?: LookupCache<LaunchSettings>,
): Promise<URL> {
  // Present, single and of a sane length: the route's schema (schemas.ts) checked them.
  const began = performance.now();
  const { iss, mode } = request;
  const { db, sealer, config } = services;
  const resolved = await settingsFor(services, orgId, iss, requestId, settings);
  await refuseMismatches(services, resolved, mode, requestId);
  const { org, source, environment, connection, client, smart } = resolved;
  const scope =
    mode === 'ehr'
      ? connection.scopes
      : standaloneScopes(connection.scopes, offersStandaloneEncounter(smart));

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
      vendor: source.vendor,
      mode,
      iss,
      clientId: client.clientId,
      requestedScope: scope,
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
    scope,
    state,
    aud: iss,
    launch: mode === 'ehr' ? request.launch : null,
    codeChallenge: codeChallengeFor(codeVerifier),
  });
}

/** The EHR's configuration refuses this launch: audited for the org, and the page says why. */
async function refuseMismatches(
  services: Services,
  settings: LaunchSettings,
  mode: LaunchRequest['mode'],
  requestId: string,
): Promise<void> {
  try {
    refuseCapabilityMismatches(settings, mode);
  } catch (error) {
    await recordAudit(services.db, {
      action: 'launch.refused',
      actor: mode === 'ehr' ? 'ehr' : 'browser',
      orgId: settings.org.id,
      requestId,
      details: { code: 'ehr_capability_mismatch', iss: settings.source.fhir_base_url, mode },
    });
    throw error;
  }
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
  const resolve = () => resolveLaunchSettings(services, orgId, { iss });
  try {
    return await (settings ? settings.getOrLoad(`iss\n${orgId}\n${iss}`, resolve) : resolve());
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
