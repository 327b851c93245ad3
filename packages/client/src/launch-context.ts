/**
 * The launch context, as `GET /launch-contexts/:id` answers it (README "App API"). Every field is
 * present, `null` when unknown; the optional ones are announced by the contract (docs/DESIGN.md)
 * and may not be served by every gateway version yet: read them as possibly absent.
 */
export type LaunchStatus = 'pending' | 'ready' | 'failed' | 'expired' | 'refresh_failed' | 'ended';

export interface LaunchContext {
  /** The `mb_launch` handle (a UUID). */
  readonly id: string;
  readonly resource_type: 'launch_context';
  /** `ready` once the EHR sign-in finished; `ended`, `expired` or `refresh_failed` once it is over. */
  readonly status: LaunchStatus | (string & {});
  /** `Patient/<id>`. */
  readonly patient: string | null;
  /** `Encounter/<id>`. */
  readonly encounter: string | null;
  /** The signed-in user, `Practitioner/<id>`. */
  readonly fhir_user: string | null;
  /** The signed-in user's name, from the id_token, where the EHR sends one. */
  readonly user_name?: string | null;
  /** The scopes the EHR granted. */
  readonly scope: string | null;
  readonly fhir_source: string | null;
  readonly fhir_base_url: string;
  readonly environment: 'sandbox' | 'production' | (string & {});
  readonly created_at: string;
  /** SMART `need_patient_banner`: false when the EHR already shows the patient. */
  readonly need_patient_banner?: boolean | null;
  /** SMART `smart_style_url`: the EHR's style (colors, fonts) for the app to match. */
  readonly smart_style_url?: string | null;
  readonly tenant?: string | null;
  readonly intent?: string | null;
  readonly fhir_context?: readonly unknown[] | null;
  readonly expires_at?: string | null;
  readonly vendor?: string | null;
  readonly extra_context?: Readonly<Record<string, unknown>> | null;
}

/** The FHIR id of a `Type/id` reference (`Patient/12724066` → `12724066`), or null. */
export function referenceId(reference: string | null | undefined): string | null {
  if (!reference) return null;
  const slash = reference.lastIndexOf('/');
  return slash === -1 ? reference : reference.slice(slash + 1) || null;
}
