/**
 * The launch lifecycle after the callback:
 *
 *     pending ──► ready ──► expired          (max session age; token expired, no refresh token)
 *        │          ├─────► refresh_failed   (the EHR refused a refresh; online session ended)
 *        │          └─────► ended            (the app ended it: DELETE /launch-contexts/:id)
 *        ├────────────────► failed           (the callback failed: see ehr-launches.ts)
 *        ├────────────────► expired          (abandoned: the state expired before the callback)
 *        └────────────────► ended            (the app ended it before the callback)
 *
 * Ending is one conditional UPDATE (`WHERE status = <from>`) that also deletes the tokens, so
 * among processes racing to end the same launch exactly one does it, and audits it. Ending a
 * ready launch also owes the org's webhooks `launch.ended` (or `launch.refresh_failed`), written in
 * the same transaction (src/webhooks/outbox.ts): whatever ends a launch calls {@link endLaunch}.
 */
import { type AuditAction, recordAudit } from '../audit/audit-log.ts';
import type { Config } from '../config/index.ts';
import type { Db, EhrLaunchTable } from '../db/index.ts';
import { isPostgres } from '../db/statements.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { enqueueLaunchEvent } from '../webhooks/outbox.ts';

export type EndedStatus = 'expired' | 'refresh_failed' | 'ended';

export type EndReason =
  /** `CHARTSIDE_MAX_SESSION_AGE_SECONDS` passed since the launch started. */
  | 'max_session_age'
  /** The access token ran out and there is no refresh token to renew it. */
  | 'access_token_expired'
  /** The clinician never came back from the EHR's sign-in (the launch state expired). */
  | 'launch_abandoned'
  /** The EHR refused the refresh token (revoked, unknown, idle). */
  | 'refresh_refused'
  /** An online_access refresh token whose EHR session ended (Cerner `session-invalid`). */
  | 'session_ended'
  /** The org's connection now uses another client than the one the tokens were issued to. */
  | 'client_changed'
  /** The launch's FHIR source was removed, so its token endpoint is unknown. */
  | 'source_removed'
  /** The app's backend ended it (`DELETE /launch-contexts/:id`). */
  | 'ended_by_app';

export interface EndLaunch {
  readonly from: 'ready' | 'pending';
  readonly status: EndedStatus;
  readonly reason: EndReason;
  readonly actor: string;
  readonly requestId?: string | null;
  readonly ehrError?: string | null;
  readonly ehrErrorUri?: string | null;
}

/** A launch {@link endLaunch} ended: the tokens it deleted (sealed), to revoke at the EHR. */
export interface EndedLaunch {
  readonly orgId: string;
  readonly environment: string;
  readonly accessToken: string | null;
  readonly refreshToken: string | null;
}

const AUDIT_ACTIONS: Record<EndedStatus, AuditAction> = {
  expired: 'launch.expired',
  refresh_failed: 'token.refresh_failed',
  ended: 'launch.ended',
};

/**
 * End a launch and delete its tokens. Returns what it deleted, or null when the launch was no
 * longer in `from`. The tokens are read in the same transaction (locked on PostgreSQL), so they
 * are exactly the ones the update deleted, even when a refresh stored new ones just before.
 */
export async function endLaunch(
  db: Db,
  launchId: string,
  end: EndLaunch,
  now = new Date(),
): Promise<EndedLaunch | null> {
  const nowIso = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const held = await trx
      .selectFrom('ehr_launch')
      .select(['access_token', 'refresh_token'])
      .where('id', '=', launchId)
      .where('status', '=', end.from)
      .$if(isPostgres(trx), (query) => query.forUpdate())
      .executeTakeFirst();
    if (!held) return null;
    const ended = await trx
      .updateTable('ehr_launch')
      .set({
        status: end.status,
        access_token: null,
        refresh_token: null,
        token_expires_at: null,
        error_code: end.status === 'refresh_failed' ? 'token_unavailable' : null,
        ehr_error: end.ehrError?.slice(0, 200) ?? null,
        ehr_error_uri: end.ehrErrorUri?.slice(0, 2048) ?? null,
        end_reason: end.reason,
        ended_at: nowIso,
        updated_at: nowIso,
      })
      .where('id', '=', launchId)
      .where('status', '=', end.from)
      .returning(['org_id', 'environment'])
      .executeTakeFirst();
    if (!ended) return null;
    await recordAudit(
      trx,
      {
        action: AUDIT_ACTIONS[end.status],
        actor: end.actor,
        orgId: ended.org_id,
        launchId,
        requestId: end.requestId ?? null,
        details: { reason: end.reason, ehr_error: end.ehrError ?? null },
      },
      now,
    );
    if (end.from === 'ready') {
      const refused = end.status === 'refresh_failed';
      await enqueueLaunchEvent(trx, {
        type: refused ? 'launch.refresh_failed' : 'launch.ended',
        launchId,
        orgId: ended.org_id,
        environment: ended.environment,
        status: end.status,
        code: refused ? 'token_unavailable' : null,
        reason: end.reason,
        at: nowIso,
      });
    }
    return {
      orgId: ended.org_id,
      environment: ended.environment,
      accessToken: held.access_token,
      refreshToken: held.refresh_token,
    };
  });
}

/** Whether a ready launch has outlived the maximum session age. */
export function pastMaxAge(
  launch: Pick<EhrLaunchTable, 'created_at'>,
  config: Pick<Config, 'maxSessionAgeSeconds'>,
  now: number,
): boolean {
  return Date.parse(launch.created_at) + config.maxSessionAgeSeconds * 1000 <= now;
}

/**
 * The status a launch effectively has at `now`: a `ready` launch past its maximum age is
 * `expired` even before the sweeper has written it. For readers (launch context, console).
 */
export function effectiveStatus(
  launch: Pick<EhrLaunchTable, 'status' | 'created_at'>,
  config: Pick<Config, 'maxSessionAgeSeconds'>,
  now = Date.now(),
): string {
  return launch.status === 'ready' && pastMaxAge(launch, config, now) ? 'expired' : launch.status;
}

const UNAVAILABLE_MESSAGES: Record<string, string> = {
  pending: 'This launch has not finished yet: the EHR sign-in is still in progress.',
  failed: 'This launch failed; launch the app again from the EHR.',
  expired: 'This launch has expired; launch the app again from the EHR.',
  refresh_failed: 'The EHR refused to renew this launch’s access; launch the app again from the EHR.',
  ended: 'This launch was ended by the app; launch the app again from the EHR.',
};

/** `token_unavailable` for a launch that cannot (or can no longer) call the EHR. */
export function tokenUnavailable(
  launch: Pick<EhrLaunchTable, 'status' | 'end_reason'> | undefined,
  cause?: unknown,
): ChartsideError {
  const status = launch?.status ?? 'expired';
  const message =
    status === 'refresh_failed' && launch?.end_reason === 'session_ended'
      ? 'The clinician’s EHR session has ended; launch the app again from the EHR.'
      : UNAVAILABLE_MESSAGES[status];
  return new ChartsideError('token_unavailable', { ...(message ? { message } : {}), cause });
}
