/**
 * `ehr_launch` rows: one per EHR launch, `pending` until the token exchange has finished,
 * then `ready` (launch-completion.ts) or `failed`. Tokens are sealed, bound to the launch id.
 */
import { randomUUID } from 'node:crypto';
import { type QueryCreator, sql } from 'kysely';
import type { Sealer } from '../crypto/sealing.ts';
import type { Database, Db, EhrLaunchTable } from '../db/index.ts';
import { hotQuery, isPostgres } from '../db/statements.ts';
import { newMessageId } from '../webhooks/events.ts';
import { enqueueLaunchEvent } from '../webhooks/outbox.ts';
import { launchStateRow } from './launch-state.ts';
import {
  columnsOf,
  launchEvent,
  leavePending,
  outcomeDeliveries,
  outcomeEvent,
  type Row,
  selectRow,
} from './launch-write-parts.ts';

export type LaunchStatus = 'pending' | 'ready' | 'failed';
export type EhrLaunch = EhrLaunchTable;

export const tokenContext = (launchId: string, column: 'access_token' | 'refresh_token') =>
  `ehr_launch.${column}:${launchId}`;

export interface NewLaunch {
  orgId: string;
  fhirSourceId: string;
  /** The source's environment now; kept with the launch (API keys read one environment). */
  environment: string;
  /** The source's vendor now; kept with the launch (its context names it). */
  vendor?: string | null;
  /** `ehr` (the EHR opened the Launch URI, the default) or `standalone` (the app's sign-in link). */
  mode?: 'ehr' | 'standalone';
  iss: string;
  clientId: string;
  requestedScope: string;
  codeVerifier: string;
  redirectUri: string;
  requestId: string;
}

type StartValues = ReturnType<typeof startValues>;

function startValues(id: string, input: NewLaunch, state: string, sealer: Sealer) {
  const row = launchStateRow(
    state,
    {
      launchId: id,
      orgId: input.orgId,
      fhirSourceId: input.fhirSourceId,
      codeVerifier: input.codeVerifier,
      redirectUri: input.redirectUri,
      clientId: input.clientId,
    },
    sealer,
    new Date(),
  );
  return {
    id,
    orgId: input.orgId,
    fhirSourceId: input.fhirSourceId,
    iss: input.iss,
    environment: input.environment,
    vendor: input.vendor ?? null,
    clientId: input.clientId,
    requestedScope: input.requestedScope,
    now: row.created_at,
    stateHash: row.state_hash,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    expiresAt: row.expires_at,
    requestId: input.requestId,
    details: JSON.stringify({ fhir_source: input.fhirSourceId, mode: input.mode ?? 'ehr' }),
  };
}

const pendingLaunch = (v: StartValues): Row<'ehr_launch'> => ({
  id: v.id,
  org_id: v.orgId,
  fhir_source_id: v.fhirSourceId,
  iss: v.iss,
  environment: v.environment,
  vendor: v.vendor,
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
  /** The EHR's `error_description`, already cleaned and capped (finish-launch.ts). */
  ehrErrorDescription?: string | null;
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
    ehrErrorDescription: failure.ehrErrorDescription ?? null,
    requestId: failure.requestId,
    details: JSON.stringify({
      code: failure.code,
      ehr_error: failure.ehrError ?? null,
      ...(failure.ehrErrorDescription ? { ehr_error_description: failure.ehrErrorDescription } : {}),
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
    ehr_error_description: v.ehrErrorDescription,
  }).returning(['org_id', 'environment']);

const FAIL_LAUNCH = {
  postgres: hotQuery('fail_launch', (db, v: FailValues) => {
    // The org is the failed launch's, as markFailed returns it.
    const audit = launchEvent('launch.failed', v, sql.ref('failed.org_id'));
    return db
      .with('failed', (db) => markFailed(db, v))
      .with('hooks', outcomeDeliveries('failed', v, v))
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
    await enqueueLaunchEvent(trx, outcomeEvent(values, failed.org_id, failed.environment, values));
  });
}

export async function findLaunch(db: Db, id: string): Promise<EhrLaunch | undefined> {
  return db.selectFrom('ehr_launch').selectAll().where('id', '=', id).executeTakeFirst();
}
