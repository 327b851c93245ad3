/**
 * `ehr_launch` rows: one per EHR launch, `pending` until the token exchange has finished,
 * then `ready` or `failed`. Tokens are sealed, bound to the launch id.
 */
import { randomUUID } from 'node:crypto';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db, EhrLaunchTable } from '../db/index.ts';
import { isPostgres, run, type Statement, statement } from '../db/statements.ts';
import { newId } from '../settings/ids.ts';
import type { TokenSet } from '../smart/code-exchange.ts';
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
 * The launch's writes are hand-written {@link Statement}s (src/db/statements.ts): every launch
 * makes them, and they are most of its cost. On PostgreSQL each group below is one statement
 * (data-modifying CTEs are atomic and take one round trip instead of five); on SQLite, where a
 * statement costs no round trip, they run in one transaction.
 */
const INSERT_PENDING_LAUNCH = `insert into ehr_launch
  (id, org_id, fhir_source_id, iss, environment, status, client_id, requested_scope, created_at, updated_at)
  values ($1, $2, $3, $4, $14, 'pending', $5, $6, $7, $7)`;
const INSERT_LAUNCH_STATE = `insert into launch_state
  (state_hash, launch_id, org_id, fhir_source_id, code_verifier, redirect_uri, client_id, expires_at, created_at)
  values ($8, $1, $2, $3, $9, $10, $5, $11, $7)`;
const AUDIT_LAUNCH_STARTED = `insert into audit_event (at, org_id, actor, action, launch_id, request_id, details)
  values ($7, $2, 'ehr', 'launch.started', $1, $12, $13)`;
const START_LAUNCH = {
  postgres: statement(
    `with launch as (${INSERT_PENDING_LAUNCH}), state as (${INSERT_LAUNCH_STATE}) ${AUDIT_LAUNCH_STARTED}`,
  ),
  sqlite: [INSERT_PENDING_LAUNCH, INSERT_LAUNCH_STATE, AUDIT_LAUNCH_STARTED].map((text) => statement(text)),
};

/** Write the pending launch, its state and its audit event, all or nothing. */
export async function createPendingLaunch(
  db: Db,
  sealer: Sealer,
  input: NewLaunch,
  state: string,
): Promise<string> {
  const now = new Date();
  const id = randomUUID();
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
    now,
  );
  const values = [
    id,
    input.orgId,
    input.fhirSourceId,
    input.iss,
    input.clientId,
    input.requestedScope,
    row.created_at,
    row.state_hash,
    row.code_verifier,
    row.redirect_uri,
    row.expires_at,
    input.requestId,
    JSON.stringify({ fhir_source: input.fhirSourceId }),
    input.environment,
  ];
  if (isPostgres(db)) {
    await run(db, START_LAUNCH.postgres, values);
    return id;
  }
  await db.transaction().execute(async (trx) => {
    for (const write of START_LAUNCH.sqlite) await run(trx, write, values);
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

/** `$1` launch id, `$2` now: the launch leaves `pending`, and only if it still is. */
const MARK_FAILED = `update ehr_launch
  set status = 'failed', error_code = $3, ehr_error = $4, ehr_error_uri = $5, updated_at = $2, completed_at = $2
  where id = $1 and status = 'pending'
  returning id, org_id`;
const AUDIT_LAUNCH_FAILED = `insert into audit_event (at, org_id, actor, action, launch_id, request_id, details)
  select $2, org_id, 'ehr', 'launch.failed', id, $6, $7 from failed`;
const FAIL_LAUNCH = {
  postgres: statement<{ id: string }>(
    `with failed as (${MARK_FAILED}) ${AUDIT_LAUNCH_FAILED} returning launch_id`,
  ),
  sqlite: {
    markFailed: statement<{ id: string; org_id: string }>(MARK_FAILED),
    audit: statement(fromParameters(AUDIT_LAUNCH_FAILED, 'failed', '$1 as id, $8 as org_id')),
  },
};

/** Mark a pending launch failed. A launch that is no longer pending is left as it is. */
export async function failLaunch(db: Db, launchId: string, failure: LaunchFailure): Promise<void> {
  const values = [
    launchId,
    new Date().toISOString(),
    failure.code,
    failure.ehrError?.slice(0, 200) ?? null,
    failure.ehrErrorUri?.slice(0, 2048) ?? null,
    failure.requestId,
    JSON.stringify({
      code: failure.code,
      ehr_error: failure.ehrError ?? null,
      reason: failure.reason ?? null,
    }),
  ];
  if (isPostgres(db)) {
    await run(db, FAIL_LAUNCH.postgres, values);
    return;
  }
  await db.transaction().execute(async (trx) => {
    const [failed] = (await run(trx, FAIL_LAUNCH.sqlite.markFailed, values)).rows;
    if (failed) await run(trx, FAIL_LAUNCH.sqlite.audit, [...values, failed.org_id]);
  });
}

/** `$1` launch id, `$2` now: the tokens and context land only on a launch still `pending`. */
const MARK_READY = `update ehr_launch
  set status = 'ready', access_token = $3, refresh_token = $4, token_expires_at = $5, scope = $6,
    patient_fhir_id = $7, encounter_fhir_id = $8, fhir_user = $9, id_token_claims = $10,
    need_patient_banner = $11, smart_style_url = $12, tenant = $13, updated_at = $2, completed_at = $2
  where id = $1 and status = 'pending'
  returning id`;
/**
 * The launched patient as a scoped account (one per org, source and patient), from the launch's
 * state (`$17` org, `$18` source): `ready` only says whether the launch was still pending.
 */
const UPSERT_SCOPED_ACCOUNT = `insert into scoped_account
  (id, org_id, fhir_source_id, patient_fhir_id, first_launch_id, last_launch_id, launch_count, created_at, updated_at)
  select $14, $17, $18, $7, $1, $1, 1, $2, $2 from ready where $7 is not null
  on conflict (org_id, fhir_source_id, patient_fhir_id) do update set
    last_launch_id = excluded.last_launch_id,
    launch_count = scoped_account.launch_count + 1,
    updated_at = excluded.updated_at`;
const AUDIT_LAUNCH_READY = `insert into audit_event (at, org_id, actor, action, launch_id, request_id, details)
  select $2, $17, 'ehr', 'launch.ready', $1, $15, $16 from ready`;
const READY_ROW = '$1 as id';
const COMPLETE_LAUNCH = {
  postgres: statement<{ launch_id: string }>(
    `with ready as (${MARK_READY}), account as (${UPSERT_SCOPED_ACCOUNT}) ${AUDIT_LAUNCH_READY} returning launch_id`,
  ),
  sqlite: {
    markReady: statement<{ id: string }>(MARK_READY),
    account: statement(fromParameters(UPSERT_SCOPED_ACCOUNT, 'ready', READY_ROW)),
    audit: statement(fromParameters(AUDIT_LAUNCH_READY, 'ready', READY_ROW)),
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
  const now = new Date();
  const values = [
    launch.id,
    now.toISOString(),
    sealer.seal(tokens.accessToken, tokenContext(launch.id, 'access_token')),
    tokens.refreshToken ? sealer.seal(tokens.refreshToken, tokenContext(launch.id, 'refresh_token')) : null,
    tokens.expiresIn === null ? null : new Date(now.getTime() + tokens.expiresIn * 1000).toISOString(),
    tokens.scope,
    tokens.patient,
    tokens.encounter,
    tokens.fhirUser,
    tokens.idTokenClaims ? JSON.stringify(tokens.idTokenClaims) : null,
    tokens.needPatientBanner === null ? null : tokens.needPatientBanner ? 1 : 0,
    tokens.smartStyleUrl,
    tokens.tenant,
    newId('acct'),
    requestId,
    JSON.stringify({ scope: tokens.scope, patient: tokens.patient, encounter: tokens.encounter }),
    launch.orgId,
    launch.fhirSourceId,
  ];
  if (isPostgres(db)) return (await run(db, COMPLETE_LAUNCH.postgres, values)).rows.length === 1;
  return db.transaction().execute(async (trx) => {
    if ((await run(trx, COMPLETE_LAUNCH.sqlite.markReady, values)).rows.length !== 1) return false;
    await run(trx, COMPLETE_LAUNCH.sqlite.account, values);
    await run(trx, COMPLETE_LAUNCH.sqlite.audit, values);
    return true;
  });
}

/**
 * SQLite has no data-modifying CTEs: there the statement after an UPDATE … RETURNING reads the
 * returned row from its parameters instead (`from <name>` → `from (select …) as <name>`).
 */
function fromParameters(text: string, name: string, row: string): string {
  const from = ` from ${name}`;
  if (!text.includes(from)) throw new Error(`statement reads no ${name}`);
  return text.replace(from, ` from (select ${row}) as ${name}`);
}

export async function findLaunch(db: Db, id: string): Promise<EhrLaunch | undefined> {
  return db.selectFrom('ehr_launch').selectAll().where('id', '=', id).executeTakeFirst();
}
