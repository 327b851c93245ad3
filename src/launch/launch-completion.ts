/**
 * A launch becomes `ready`: its tokens (sealed) and context, the launched patient as a scoped
 * account, the audit row and the `launch.ready` webhook deliveries, all or nothing, and only if
 * the launch is still pending (launch-write-parts.ts says how the writes are made).
 */
import { type OnConflictBuilder, type QueryCreator, sql } from 'kysely';
import type { Sealer } from '../crypto/sealing.ts';
import type { Database, Db } from '../db/index.ts';
import { hotQuery, isPostgres } from '../db/statements.ts';
import { newId } from '../settings/ids.ts';
import type { TokenSet } from '../smart/code-exchange.ts';
import { newMessageId } from '../webhooks/events.ts';
import { enqueueLaunchEvent, orgHasWebhookEndpoints } from '../webhooks/outbox.ts';
import { tokenContext } from './ehr-launches.ts';
import {
  columnsOf,
  launchEvent,
  leavePending,
  outcomeDeliveries,
  outcomeEvent,
  type Row,
  selectRow,
} from './launch-write-parts.ts';

type CompleteValues = ReturnType<typeof completeValues>;

/** `launch`'s org and source are its state's: the ready row only says it was still pending. */
function completeValues(
  sealer: Sealer,
  launch: { id: string; orgId: string; fhirSourceId: string },
  tokens: TokenSet,
  requestId: string,
) {
  const now = new Date();
  return {
    id: launch.id,
    now: now.toISOString(),
    accessToken: sealer.seal(tokens.accessToken, tokenContext(launch.id, 'access_token')),
    refreshToken: tokens.refreshToken
      ? sealer.seal(tokens.refreshToken, tokenContext(launch.id, 'refresh_token'))
      : null,
    tokenExpiresAt:
      tokens.expiresIn === null ? null : new Date(now.getTime() + tokens.expiresIn * 1000).toISOString(),
    scope: tokens.scope,
    patient: tokens.patient,
    encounter: tokens.encounter,
    fhirUser: tokens.fhirUser,
    idTokenClaims: tokens.idTokenClaims ? JSON.stringify(tokens.idTokenClaims) : null,
    needPatientBanner: tokens.needPatientBanner === null ? null : tokens.needPatientBanner ? 1 : 0,
    smartStyleUrl: tokens.smartStyleUrl,
    tenant: tokens.tenant,
    intent: tokens.intent ?? null,
    fhirContext: tokens.fhirContext ? JSON.stringify(tokens.fhirContext) : null,
    extraContext: tokens.extraContext ? JSON.stringify(tokens.extraContext) : null,
    accountId: newId('acct'),
    messageId: newMessageId(),
    requestId,
    details: JSON.stringify({ scope: tokens.scope, patient: tokens.patient, encounter: tokens.encounter }),
    orgId: launch.orgId,
    fhirSourceId: launch.fhirSourceId,
  };
}

/** The tokens and context land only on a launch still `pending`. */
const markReady = (db: QueryCreator<Database>, v: CompleteValues) =>
  leavePending(db, v, {
    status: 'ready',
    access_token: v.accessToken,
    refresh_token: v.refreshToken,
    token_expires_at: v.tokenExpiresAt,
    scope: v.scope,
    patient_fhir_id: v.patient,
    encounter_fhir_id: v.encounter,
    fhir_user: v.fhirUser,
    id_token_claims: v.idTokenClaims,
    need_patient_banner: v.needPatientBanner,
    smart_style_url: v.smartStyleUrl,
    tenant: v.tenant,
    intent: v.intent,
    fhir_context: v.fhirContext,
    extra_context: v.extraContext,
  }).returning(['patient_fhir_id', 'org_id', 'environment']);
/** The launched patient as a scoped account, one per org, source and patient. */
const scopedAccount = (
  v: CompleteValues,
  patient: Row<'scoped_account'>['patient_fhir_id'],
): Row<'scoped_account'> => ({
  id: v.accountId,
  org_id: v.orgId,
  fhir_source_id: v.fhirSourceId,
  patient_fhir_id: patient,
  first_launch_id: v.id,
  last_launch_id: v.id,
  launch_count: 1,
  created_at: v.now,
  updated_at: v.now,
});
const countLaunch = (conflict: OnConflictBuilder<Database, 'scoped_account'>) =>
  conflict.columns(['org_id', 'fhir_source_id', 'patient_fhir_id']).doUpdateSet((eb) => ({
    last_launch_id: eb.ref('excluded.last_launch_id'),
    launch_count: eb('scoped_account.launch_count', '+', 1),
    updated_at: eb.ref('excluded.updated_at'),
  }));

const COMPLETE_LAUNCH = {
  postgres: hotQuery('complete_launch', (db, v: CompleteValues) => {
    const [account, audit] = [
      scopedAccount(v, sql.ref('ready.patient_fhir_id')),
      launchEvent('launch.ready', v, v.orgId),
    ];
    return db
      .with('ready', (db) => markReady(db, v))
      .with('account', (db) =>
        db
          .insertInto('scoped_account')
          .columns(columnsOf(account))
          .expression((eb) =>
            eb
              .selectFrom('ready')
              .select(selectRow(eb, account))
              .where('ready.patient_fhir_id', 'is not', null),
          )
          .onConflict(countLaunch),
      )
      .with('hooks', outcomeDeliveries('ready', v))
      .insertInto('audit_event')
      .columns(columnsOf(audit))
      .expression((eb) => eb.selectFrom('ready').select(selectRow(eb, audit)))
      .returning('launch_id');
  }),
  sqlite: {
    // Whether the org has webhook endpoints at all comes back with the change (outbox.ts).
    markReady: hotQuery('mark_launch_ready', (db, v: CompleteValues) =>
      markReady(db, v).returning((eb) =>
        orgHasWebhookEndpoints(eb, eb.ref('ehr_launch.org_id')).as('has_webhooks'),
      ),
    ),
    account: hotQuery('upsert_scoped_account', (db, v: CompleteValues & { patient: string }) =>
      db.insertInto('scoped_account').values(scopedAccount(v, v.patient)).onConflict(countLaunch),
    ),
    audit: hotQuery('audit_launch_ready', (db, v: CompleteValues) =>
      db.insertInto('audit_event').values(launchEvent('launch.ready', v, v.orgId)),
    ),
  },
};

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
  const values = completeValues(sealer, launch, tokens, requestId);
  if (isPostgres(db)) return (await COMPLETE_LAUNCH.postgres(db, values)).rows.length === 1;
  return db.transaction().execute(async (trx) => {
    const [ready] = (await COMPLETE_LAUNCH.sqlite.markReady(trx, values)).rows;
    if (!ready) return false;
    const { patient } = values;
    if (patient !== null) await COMPLETE_LAUNCH.sqlite.account(trx, { ...values, patient });
    await COMPLETE_LAUNCH.sqlite.audit(trx, values);
    if (ready.has_webhooks)
      await enqueueLaunchEvent(trx, outcomeEvent(values, ready.org_id, ready.environment));
    return true;
  });
}
