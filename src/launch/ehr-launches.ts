/**
 * `ehr_launch` rows: one per EHR launch, `pending` until the token exchange has finished,
 * then `ready` or `failed`. Tokens are sealed, bound to the launch id.
 */
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit-log.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db, EhrLaunchTable } from '../db/index.ts';
import { newId } from '../settings/ids.ts';
import type { TokenSet } from '../smart/code-exchange.ts';
import { launchStateRow, type PendingLaunchState } from './launch-state.ts';

export type LaunchStatus = 'pending' | 'ready' | 'failed';
export type EhrLaunch = EhrLaunchTable;

export const tokenContext = (launchId: string, column: 'access_token' | 'refresh_token') =>
  `ehr_launch.${column}:${launchId}`;

export interface NewLaunch {
  orgId: string;
  fhirSourceId: string;
  iss: string;
  clientId: string;
  requestedScope: string;
  codeVerifier: string;
  redirectUri: string;
  requestId: string;
}

/** Write the pending launch and its state in one transaction. */
export async function createPendingLaunch(
  db: Db,
  sealer: Sealer,
  input: NewLaunch,
  state: string,
): Promise<string> {
  const now = new Date();
  const id = randomUUID();
  const pending: PendingLaunchState = {
    launchId: id,
    orgId: input.orgId,
    fhirSourceId: input.fhirSourceId,
    codeVerifier: input.codeVerifier,
    redirectUri: input.redirectUri,
    clientId: input.clientId,
  };
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('ehr_launch')
      .values({
        id,
        org_id: input.orgId,
        fhir_source_id: input.fhirSourceId,
        iss: input.iss,
        status: 'pending',
        client_id: input.clientId,
        access_token: null,
        refresh_token: null,
        token_expires_at: null,
        scope: null,
        requested_scope: input.requestedScope,
        patient_fhir_id: null,
        encounter_fhir_id: null,
        fhir_user: null,
        id_token_claims: null,
        need_patient_banner: null,
        smart_style_url: null,
        tenant: null,
        error_code: null,
        ehr_error: null,
        ehr_error_uri: null,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        completed_at: null,
      })
      .execute();
    await trx
      .insertInto('launch_state')
      .values(launchStateRow(state, pending, sealer, now))
      .execute();
    await recordAudit(trx, {
      action: 'launch.started',
      actor: 'ehr',
      orgId: input.orgId,
      launchId: id,
      requestId: input.requestId,
      details: { fhir_source: input.fhirSourceId },
    });
  });
  return id;
}

export interface LaunchFailure {
  code: 'oauth_error' | 'token_exchange_failed';
  ehrError?: string | null;
  ehrErrorUri?: string | null;
  requestId: string;
  reason?: string;
}

/** Mark a pending launch failed. A launch that is no longer pending is left as it is. */
export async function failLaunch(db: Db, launchId: string, failure: LaunchFailure): Promise<void> {
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('ehr_launch')
      .set({
        status: 'failed',
        error_code: failure.code,
        ehr_error: failure.ehrError?.slice(0, 200) ?? null,
        ehr_error_uri: failure.ehrErrorUri?.slice(0, 2048) ?? null,
        updated_at: now,
        completed_at: now,
      })
      .where('id', '=', launchId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return;
    const row = await trx
      .selectFrom('ehr_launch')
      .select('org_id')
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    await recordAudit(trx, {
      action: 'launch.failed',
      actor: 'ehr',
      orgId: row.org_id,
      launchId,
      requestId: failure.requestId,
      details: { code: failure.code, ehr_error: failure.ehrError ?? null, reason: failure.reason ?? null },
    });
  });
}

/**
 * Store the tokens and launch context, and upsert the launched patient as a scoped account —
 * all or nothing. Returns false when the launch was no longer pending.
 */
export async function completeLaunch(
  db: Db,
  sealer: Sealer,
  launch: { id: string; orgId: string; fhirSourceId: string },
  tokens: TokenSet,
  requestId: string,
): Promise<boolean> {
  const now = new Date();
  const nowIso = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('ehr_launch')
      .set({
        status: 'ready',
        access_token: sealer.seal(tokens.accessToken, tokenContext(launch.id, 'access_token')),
        refresh_token: tokens.refreshToken
          ? sealer.seal(tokens.refreshToken, tokenContext(launch.id, 'refresh_token'))
          : null,
        token_expires_at:
          tokens.expiresIn === null ? null : new Date(now.getTime() + tokens.expiresIn * 1000).toISOString(),
        scope: tokens.scope,
        patient_fhir_id: tokens.patient,
        encounter_fhir_id: tokens.encounter,
        fhir_user: tokens.fhirUser,
        id_token_claims: tokens.idTokenClaims ? JSON.stringify(tokens.idTokenClaims) : null,
        need_patient_banner: tokens.needPatientBanner === null ? null : tokens.needPatientBanner ? 1 : 0,
        smart_style_url: tokens.smartStyleUrl,
        tenant: tokens.tenant,
        updated_at: nowIso,
        completed_at: nowIso,
      })
      .where('id', '=', launch.id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;

    if (tokens.patient) {
      await trx
        .insertInto('scoped_account')
        .values({
          id: newId('acct'),
          org_id: launch.orgId,
          fhir_source_id: launch.fhirSourceId,
          patient_fhir_id: tokens.patient,
          first_launch_id: launch.id,
          last_launch_id: launch.id,
          launch_count: 1,
          created_at: nowIso,
          updated_at: nowIso,
        })
        .onConflict((oc) =>
          oc.columns(['org_id', 'fhir_source_id', 'patient_fhir_id']).doUpdateSet((eb) => ({
            last_launch_id: launch.id,
            launch_count: eb('scoped_account.launch_count', '+', 1),
            updated_at: nowIso,
          })),
        )
        .execute();
    }
    await recordAudit(trx, {
      action: 'launch.ready',
      actor: 'ehr',
      orgId: launch.orgId,
      launchId: launch.id,
      requestId,
      details: { scope: tokens.scope, patient: tokens.patient, encounter: tokens.encounter },
    });
    return true;
  });
}

export async function findLaunch(db: Db, id: string): Promise<EhrLaunch | undefined> {
  return db.selectFrom('ehr_launch').selectAll().where('id', '=', id).executeTakeFirst();
}
