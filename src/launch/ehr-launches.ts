/**
 * `ehr_launch` rows: one per EHR launch, `pending` until the token exchange has finished,
 * then `ready` or `failed`. Tokens are sealed, bound to the launch id.
 */
import { randomUUID } from 'node:crypto';
import {
  type ExpressionBuilder,
  type InsertObject,
  type OnConflictBuilder,
  type QueryCreator,
  type RawBuilder,
  sql,
  type UpdateObject,
} from 'kysely';
import type { Sealer } from '../crypto/sealing.ts';
import type { Database, Db, EhrLaunchTable } from '../db/index.ts';
import { hotQuery, isPostgres } from '../db/statements.ts';
import { newId } from '../settings/ids.ts';
import type { TokenSet } from '../smart/code-exchange.ts';
import { newMessageId } from '../webhooks/events.ts';
import { enqueueLaunchEvent, fromChanged, insertLaunchEvent, subscribedPattern } from '../webhooks/outbox.ts';
import { launchStateRow } from './launch-state.ts';

export type LaunchStatus = 'pending' | 'ready' | 'failed';
export type EhrLaunch = EhrLaunchTable;

export const tokenContext = (launchId: string, column: 'access_token' | 'refresh_token') =>
  `ehr_launch.${column}:${launchId}`;

export interface NewLaunch {
  orgId: string;
  fhirSourceId: string;
  /** The source's environment now; kept with the launch (API keys read one environment). */
  environment: string;
  iss: string;
  clientId: string;
  requestedScope: string;
  codeVerifier: string;
  redirectUri: string;
  requestId: string;
}

/**
 * Every launch makes these writes, and they are most of its cost: they are {@link hotQuery}s,
 * compiled once (src/db/statements.ts). One function per row, and both engines write the same
 * rows. On SQLite, where a statement costs no round trip, a group runs in one transaction. On
 * PostgreSQL it is one statement (data-modifying CTEs are atomic and take one round trip instead
 * of five), where a row written only if the launch was still pending is selected from the CTE
 * that changed it ({@link selectRow}): no changed launch, no row. The webhook deliveries the
 * change owes are one more such row (src/webhooks/outbox.ts).
 */
type Row<Table extends keyof Database> = InsertObject<Database, Table>;

/** `row`'s values as a select list (`$1 as "at", …`), for `insert … (columnsOf(row)) select`. */
function selectRow<DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>, row: object) {
  return Object.entries(row).map(([column, value]) => eb.val(value).as(column));
}

const columnsOf = <R extends object>(row: R) => Object.keys(row) as (keyof R & string)[];

/** The launch leaves `pending` with `changes`, and only if it still is. */
const leavePending = (
  db: QueryCreator<Database>,
  v: { id: string; now: string },
  changes: UpdateObject<Database, 'ehr_launch'>,
) =>
  db
    .updateTable('ehr_launch')
    .set({ ...changes, updated_at: v.now, completed_at: v.now })
    .where('id', '=', v.id)
    .where('status', '=', 'pending');

/** The audit event of a launch write (docs/events.md). */
const launchEvent = (
  action: string,
  v: { id: string; now: string; requestId: string; details: string },
  orgId: Row<'audit_event'>['org_id'],
): Row<'audit_event'> => ({
  at: v.now,
  org_id: orgId,
  actor: 'ehr',
  action,
  launch_id: v.id,
  request_id: v.requestId,
  details: v.details,
});

type StartValues = ReturnType<typeof startValues>;

function startValues(id: string, input: NewLaunch, state: string, sealer: Sealer) {
  const row = launchStateRow(state, { ...input, launchId: id }, sealer, new Date());
  return {
    id,
    orgId: input.orgId,
    fhirSourceId: input.fhirSourceId,
    iss: input.iss,
    environment: input.environment,
    clientId: input.clientId,
    requestedScope: input.requestedScope,
    now: row.created_at,
    stateHash: row.state_hash,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    expiresAt: row.expires_at,
    requestId: input.requestId,
    details: JSON.stringify({ fhir_source: input.fhirSourceId }),
  };
}

const pendingLaunch = (v: StartValues): Row<'ehr_launch'> => ({
  id: v.id,
  org_id: v.orgId,
  fhir_source_id: v.fhirSourceId,
  iss: v.iss,
  environment: v.environment,
  status: 'pending',
  client_id: v.clientId,
  requested_scope: v.requestedScope,
  created_at: v.now,
  updated_at: v.now,
});
const launchState = (v: StartValues): Row<'launch_state'> => ({
  state_hash: v.stateHash,
  launch_id: v.id,
  org_id: v.orgId,
  fhir_source_id: v.fhirSourceId,
  code_verifier: v.codeVerifier,
  redirect_uri: v.redirectUri,
  client_id: v.clientId,
  expires_at: v.expiresAt,
  created_at: v.now,
});

const START_LAUNCH = {
  postgres: hotQuery('start_launch', (db, v: StartValues) =>
    db
      .with('launch', (db) => db.insertInto('ehr_launch').values(pendingLaunch(v)))
      .with('state', (db) => db.insertInto('launch_state').values(launchState(v)))
      .insertInto('audit_event')
      .values(launchEvent('launch.started', v, v.orgId)),
  ),
  sqlite: [
    hotQuery('insert_pending_launch', (db, v: StartValues) =>
      db.insertInto('ehr_launch').values(pendingLaunch(v)),
    ),
    hotQuery('insert_launch_state', (db, v: StartValues) =>
      db.insertInto('launch_state').values(launchState(v)),
    ),
    hotQuery('audit_launch_started', (db, v: StartValues) =>
      db.insertInto('audit_event').values(launchEvent('launch.started', v, v.orgId)),
    ),
  ],
};

/** Write the pending launch, its state and its audit event, all or nothing. */
export async function createPendingLaunch(
  db: Db,
  sealer: Sealer,
  input: NewLaunch,
  state: string,
): Promise<string> {
  const id = randomUUID();
  const values = startValues(id, input, state, sealer);
  if (isPostgres(db)) {
    await START_LAUNCH.postgres(db, values);
    return id;
  }
  await db.transaction().execute(async (trx) => {
    for (const write of START_LAUNCH.sqlite) await write(trx, values);
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

type FailValues = ReturnType<typeof failValues>;

function failValues(launchId: string, failure: LaunchFailure) {
  return {
    id: launchId,
    now: new Date().toISOString(),
    messageId: newMessageId(),
    code: failure.code,
    ehrError: failure.ehrError?.slice(0, 200) ?? null,
    ehrErrorUri: failure.ehrErrorUri?.slice(0, 2048) ?? null,
    requestId: failure.requestId,
    details: JSON.stringify({
      code: failure.code,
      ehr_error: failure.ehrError ?? null,
      reason: failure.reason ?? null,
    }),
  };
}

const markFailed = (db: QueryCreator<Database>, v: FailValues) =>
  leavePending(db, v, {
    status: 'failed',
    error_code: v.code,
    ehr_error: v.ehrError,
    ehr_error_uri: v.ehrErrorUri,
  }).returning(['org_id', 'environment']);

const FAILED_PATTERN = subscribedPattern('launch.failed');

/** `launch.failed` for the webhooks: org and environment of the failed row (or of its CTE). */
function failedEvent<T extends string | RawBuilder<string>>(v: FailValues, orgId: T, environment: T) {
  return {
    type: 'launch.failed' as const,
    messageId: v.messageId,
    launchId: v.id,
    orgId,
    environment,
    status: 'failed',
    code: v.code,
    at: v.now,
  };
}

const FAIL_LAUNCH = {
  postgres: hotQuery('fail_launch', (db, v: FailValues) => {
    // The org is the failed launch's, as markFailed returns it.
    const audit = launchEvent('launch.failed', v, sql.ref('failed.org_id'));
    return db
      .with('failed', (db) => markFailed(db, v))
      .with('hooks', (db) =>
        insertLaunchEvent(
          db,
          failedEvent(
            v,
            fromChanged<string>('failed', 'org_id'),
            fromChanged<string>('failed', 'environment'),
          ),
          FAILED_PATTERN,
        ),
      )
      .insertInto('audit_event')
      .columns(columnsOf(audit))
      .expression((eb) => eb.selectFrom('failed').select(selectRow(eb, audit)));
  }),
  sqlite: {
    markFailed: hotQuery('mark_launch_failed', markFailed),
    audit: hotQuery('audit_launch_failed', (db, v: FailValues & { orgId: string }) =>
      db.insertInto('audit_event').values(launchEvent('launch.failed', v, v.orgId)),
    ),
  },
};

/** Mark a pending launch failed. A launch that is no longer pending is left as it is. */
export async function failLaunch(db: Db, launchId: string, failure: LaunchFailure): Promise<void> {
  const values = failValues(launchId, failure);
  if (isPostgres(db)) {
    await FAIL_LAUNCH.postgres(db, values);
    return;
  }
  await db.transaction().execute(async (trx) => {
    const [failed] = (await FAIL_LAUNCH.sqlite.markFailed(trx, values)).rows;
    if (!failed) return;
    await FAIL_LAUNCH.sqlite.audit(trx, { ...values, orgId: failed.org_id });
    await enqueueLaunchEvent(trx, failedEvent(values, failed.org_id, failed.environment));
  });
}

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

const READY_PATTERN = subscribedPattern('launch.ready');

/** `launch.ready` for the webhooks: org and environment of the ready row (or of its CTE). */
function readyEvent<T extends string | RawBuilder<string>>(v: CompleteValues, orgId: T, environment: T) {
  return {
    type: 'launch.ready' as const,
    messageId: v.messageId,
    launchId: v.id,
    orgId,
    environment,
    status: 'ready',
    at: v.now,
  };
}

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
      .with('hooks', (db) =>
        insertLaunchEvent(
          db,
          // Only when `ready` changed the launch: otherwise its org is NULL and no endpoint matches.
          readyEvent(v, fromChanged<string>('ready', 'org_id'), fromChanged<string>('ready', 'environment')),
          READY_PATTERN,
        ),
      )
      .insertInto('audit_event')
      .columns(columnsOf(audit))
      .expression((eb) => eb.selectFrom('ready').select(selectRow(eb, audit)))
      .returning('launch_id');
  }),
  sqlite: {
    markReady: hotQuery('mark_launch_ready', markReady),
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
    await enqueueLaunchEvent(trx, readyEvent(values, ready.org_id, ready.environment));
    return true;
  });
}

export async function findLaunch(db: Db, id: string): Promise<EhrLaunch | undefined> {
  return db.selectFrom('ehr_launch').selectAll().where('id', '=', id).executeTakeFirst();
}
