/**
 * `DELETE /launch-contexts/:id` — the app's backend ends a launch (the clinician closed the app,
 * signed out, or the app is done with the patient):
 *
 * 1. the launch is found as for `GET` (another org's or environment's answers 404);
 * 2. a `ready` (or still `pending`) launch ends: status `ended`, tokens deleted, `launch.ended`
 *    audited and owed to the org's webhooks, all in one transaction (launch/lifecycle.ts);
 * 3. the deleted tokens are revoked at the EHR's `revocation_endpoint` when it has one
 *    (launch/token-revocation.ts); a refusal or a timeout is logged and audited, the launch stays
 *    ended either way;
 * 4. the answer is the launch context, now `ended`.
 *
 * Idempotent: a launch that is already over (ended, expired, refresh_failed, failed) is answered
 * as it is, and nothing is written or sent.
 */
import type { FastifyBaseLogger } from 'fastify';
import { findLaunch } from '../launch/ehr-launches.ts';
import { endLaunch } from '../launch/lifecycle.ts';
import { revokeEndedTokens } from '../launch/token-revocation.ts';
import type { Services } from '../services.ts';
import type { ApiKeyPrincipal } from './api-keys.ts';
import { findPrincipalLaunch, type LaunchContext, launchContextOf } from './launch-contexts.ts';

export async function endLaunchContext(
  services: Services,
  principal: ApiKeyPrincipal,
  id: string,
  request: { readonly id: string; readonly log: FastifyBaseLogger },
): Promise<LaunchContext> {
  const launch = await findPrincipalLaunch(services, principal, id);
  if (launch.status === 'ready' || launch.status === 'pending') {
    const actor = `api_key:${principal.prefix}`;
    const ended = await endLaunch(services.db, launch.id, {
      from: launch.status,
      status: 'ended',
      reason: 'ended_by_app',
      actor,
      requestId: request.id,
    });
    // This process's FHIR proxy must not go on with the remembered ready row (its token).
    services.readyLaunches.forget(launch.id);
    if (ended)
      await revokeEndedTokens(services, launch, ended, { actor, requestId: request.id, log: request.log });
  }
  // Whoever ended it (this call, a racing one, the sweeper), the answer is the launch as it is now.
  const now = await findLaunch(services.db, launch.id);
  return launchContextOf(now ?? launch, services.config);
}
