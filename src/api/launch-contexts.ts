/**
 * `GET /launch-contexts/:id` — the app backend resolves `mb_launch` to the launch context.
 * Shape exactly as docs/architecture.md#wire-surfaces: every field present, `null` when unknown.
 * `DELETE /launch-contexts/:id` ends the launch (end-launch.ts) and answers the same shape.
 */
import { recordAudit } from '../audit/audit-log.ts';
import type { Config } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type EhrLaunch, findLaunch } from '../launch/ehr-launches.ts';
import { effectiveStatus } from '../launch/lifecycle.ts';
import { isUuid } from '../launch/uuid.ts';
import type { Services } from '../services.ts';
import type { ApiKeyPrincipal } from './api-keys.ts';

export interface LaunchContext {
  id: string;
  resource_type: 'launch_context';
  status: string;
  patient: string | null;
  encounter: string | null;
  fhir_user: string | null;
  scope: string | null;
  fhir_source: string | null;
  fhir_base_url: string;
  environment: string;
  created_at: string;
}

/** The one rule for every app-facing read of a launch: same organization, same environment. */
export function principalMayRead(
  principal: ApiKeyPrincipal,
  launch: { org_id: string; environment: string },
): boolean {
  return launch.org_id === principal.orgId && launch.environment === principal.environment;
}

/** The launch `id` as `principal` may see it, or 404 `resource_not_found`. */
export async function findPrincipalLaunch(
  services: Pick<Services, 'db'>,
  principal: ApiKeyPrincipal,
  id: string,
): Promise<EhrLaunch> {
  // Another org's launch, or one of the other environment, answers exactly like a missing one:
  // no existence oracle, and a sandbox key never reads a production patient.
  const launch = isUuid(id) ? await findLaunch(services.db, id) : undefined;
  if (!launch || !principalMayRead(principal, launch)) {
    throw new ChartsideError('resource_not_found', {
      param: 'id',
      message: 'No launch context with this id.',
    });
  }
  return launch;
}

export async function readLaunchContext(
  services: Services,
  principal: ApiKeyPrincipal,
  id: string,
  requestId: string,
): Promise<LaunchContext> {
  const launch = await findPrincipalLaunch(services, principal, id);
  await recordAudit(services.db, {
    action: 'launch_context.read',
    actor: `api_key:${principal.prefix}`,
    orgId: principal.orgId,
    launchId: launch.id,
    requestId,
  });
  return launchContextOf(launch, services.config);
}

export function launchContextOf(
  launch: EhrLaunch,
  config: Pick<Config, 'maxSessionAgeSeconds'>,
): LaunchContext {
  return {
    id: launch.id,
    resource_type: 'launch_context',
    // A launch past its maximum age reads `expired` even before the sweeper has ended it.
    status: effectiveStatus(launch, config),
    patient: launch.patient_fhir_id && `Patient/${launch.patient_fhir_id}`,
    encounter: launch.encounter_fhir_id && `Encounter/${launch.encounter_fhir_id}`,
    fhir_user: launch.fhir_user,
    scope: launch.scope,
    fhir_source: launch.fhir_source_id,
    fhir_base_url: launch.iss,
    environment: launch.environment,
    created_at: launch.created_at,
  };
}
