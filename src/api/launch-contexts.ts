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
  user_name: string | null;
  scope: string | null;
  need_patient_banner: boolean | null;
  smart_style_url: string | null;
  tenant: string | null;
  intent: string | null;
  fhir_context: unknown[] | null;
  extra_context: Record<string, unknown> | null;
  fhir_source: string | null;
  fhir_base_url: string;
  vendor: string | null;
  environment: string;
  created_at: string;
  expires_at: string | null;
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

/**
 * The launch as the app sees it: what the EHR sent with the token response (README "The launch
 * context" names each field's SMART section), never a token; `null` for what it did not send.
 */
export function launchContextOf(
  launch: EhrLaunch,
  config: Pick<Config, 'maxSessionAgeSeconds'>,
): LaunchContext {
  const status = effectiveStatus(launch, config);
  return {
    id: launch.id,
    resource_type: 'launch_context',
    // A launch past its maximum age reads `expired` even before the sweeper has ended it.
    status,
    patient: launch.patient_fhir_id && `Patient/${launch.patient_fhir_id}`,
    encounter: launch.encounter_fhir_id && `Encounter/${launch.encounter_fhir_id}`,
    fhir_user: launch.fhir_user,
    user_name: userName(launch.id_token_claims),
    scope: launch.scope,
    need_patient_banner: launch.need_patient_banner === null ? null : launch.need_patient_banner === 1,
    smart_style_url: launch.smart_style_url,
    tenant: launch.tenant,
    intent: launch.intent,
    fhir_context: jsonOf<unknown[]>(launch.fhir_context, Array.isArray),
    extra_context: jsonOf<Record<string, unknown>>(launch.extra_context, isPlainObject),
    fhir_source: launch.fhir_source_id,
    fhir_base_url: launch.iss,
    vendor: launch.vendor,
    environment: launch.environment,
    created_at: launch.created_at,
    expires_at: status === 'ready' ? usableUntil(launch, config) : null,
  };
}

/** The id_token's `name` (OpenID Connect Core §5.1), kept with the verified claims. */
function userName(claims: string | null): string | null {
  const name = jsonOf<Record<string, unknown>>(claims, isPlainObject)?.name;
  return typeof name === 'string' && name !== '' ? name : null;
}

/**
 * When a ready launch stops being usable at the latest: its maximum age, or sooner when the EHR
 * gave no refresh token and the access token runs out (Chartside renews it otherwise).
 */
function usableUntil(launch: EhrLaunch, config: Pick<Config, 'maxSessionAgeSeconds'>): string {
  const maxAge = Date.parse(launch.created_at) + config.maxSessionAgeSeconds * 1000;
  const tokenEnd =
    launch.refresh_token || !launch.token_expires_at ? null : Date.parse(launch.token_expires_at);
  return new Date(tokenEnd === null ? maxAge : Math.min(maxAge, tokenEnd)).toISOString();
}

function jsonOf<T>(text: string | null, is: (value: unknown) => boolean): T | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return is(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

const isPlainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
