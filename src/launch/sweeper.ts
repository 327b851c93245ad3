/**
 * The launch sweeper: ends launches that ran out of time, deletes the tokens of ended launches,
 * and deletes expired launch states and stale refresh leases.
 *
 * Several processes: every step is a conditional UPDATE/DELETE (`… WHERE status = 'ready' AND …
 * RETURNING`), so when two processes sweep at once each launch still ends, and is audited,
 * exactly once. On top, the `launch-sweeper` lease lets only one process sweep per interval.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { UpdateQueryBuilder, UpdateResult } from 'kysely';
import { recordAudit } from '../audit/audit-log.ts';
import type { Config } from '../config/index.ts';
import type { Database, Db } from '../db/index.ts';
import { summarizeError } from '../logging.ts';
import type { Services } from '../services.ts';
import { enqueueLaunchEvent } from '../webhooks/outbox.ts';
import { LAUNCH_STATE_TTL_MS } from './launch-state.ts';
import { newHolderId, releaseLease, tryAcquireLease } from './lease.ts';
import type { EndReason } from './lifecycle.ts';

const SWEEPER_LEASE = 'launch-sweeper';
const ACTOR = 'system:sweeper';
/** Refresh leases are only needed while a refresh runs and for the one-minute throttle after it. */
const LEASE_RETENTION_MS = 24 * 3_600_000;

type ReadyUpdate = UpdateQueryBuilder<Database, 'ehr_launch', 'ehr_launch', UpdateResult>;

export interface SweepResult {
  expired: number;
  abandoned: number;
  tokensDeleted: number;
  statesDeleted: number;
  leasesDeleted: number;
}

export async function sweepLaunches(
  db: Db,
  config: Pick<Config, 'maxSessionAgeSeconds'>,
  now = new Date(),
): Promise<SweepResult> {
  const nowIso = now.toISOString();
  const ended = { ended_at: nowIso, updated_at: nowIso, access_token: null, refresh_token: null };
  const tokenless = { ...ended, token_expires_at: null };

  // Each ending and the `launch.ended` webhooks it owes commit together (src/webhooks/outbox.ts).
  const endReady = (reason: EndReason, which: (update: ReadyUpdate) => ReadyUpdate) =>
    db.transaction().execute(async (trx) => {
      const rows = await which(
        trx
          .updateTable('ehr_launch')
          .set({ ...tokenless, status: 'expired', end_reason: reason })
          .where('status', '=', 'ready'),
      )
        .returning(['id', 'org_id', 'environment'])
        .execute();
      for (const row of rows) {
        const event = { launchId: row.id, orgId: row.org_id, environment: row.environment };
        await enqueueLaunchEvent(trx, {
          ...event,
          type: 'launch.ended',
          status: 'expired',
          reason,
          at: nowIso,
        });
      }
      return rows;
    });
  const maxAgeStart = new Date(now.getTime() - config.maxSessionAgeSeconds * 1000).toISOString();
  const tooOld = await endReady('max_session_age', (update) => update.where('created_at', '<=', maxAgeStart));
  // Without a refresh token, an access token past its expiry is the end of the launch.
  const runOut = await endReady('access_token_expired', (update) =>
    update.where('refresh_token', 'is', null).where('token_expires_at', '<=', nowIso),
  );
  // The clinician never came back from the EHR's sign-in: the launch state has expired.
  const abandoned = await db
    .updateTable('ehr_launch')
    .set({ ...ended, status: 'expired', end_reason: 'launch_abandoned' })
    .where('status', '=', 'pending')
    .where('created_at', '<=', new Date(now.getTime() - LAUNCH_STATE_TTL_MS).toISOString())
    .returning(['id', 'org_id'])
    .execute();
  const audits: [{ id: string; org_id: string }[], EndReason][] = [
    [tooOld, 'max_session_age'],
    [runOut, 'access_token_expired'],
    [abandoned, 'launch_abandoned'],
  ];
  for (const [rows, reason] of audits) {
    for (const row of rows) {
      await recordAudit(
        db,
        { action: 'launch.expired', actor: ACTOR, orgId: row.org_id, launchId: row.id, details: { reason } },
        now,
      );
    }
  }

  // Ended launches never need their tokens again (ending deletes them; this catches stragglers).
  const tokens = await db
    .updateTable('ehr_launch')
    .set({ access_token: null, refresh_token: null, updated_at: nowIso })
    .where('status', 'in', ['expired', 'refresh_failed', 'failed', 'ended'])
    .where((eb) => eb.or([eb('access_token', 'is not', null), eb('refresh_token', 'is not', null)]))
    .executeTakeFirst();
  const states = await db.deleteFrom('launch_state').where('expires_at', '<=', nowIso).executeTakeFirst();
  const leases = await db
    .deleteFrom('lease')
    .where('name', 'like', 'refresh:%')
    .where('expires_at', '<=', new Date(now.getTime() - LEASE_RETENTION_MS).toISOString())
    .executeTakeFirst();

  return {
    expired: tooOld.length + runOut.length,
    abandoned: abandoned.length,
    tokensDeleted: Number(tokens.numUpdatedRows),
    statesDeleted: Number(states.numDeletedRows),
    leasesDeleted: Number(leases.numDeletedRows),
  };
}

export interface Sweeper {
  stop(): Promise<void>;
}

/**
 * Sweep every `sweepIntervalSeconds` (the first run after a random part of one interval, so
 * processes started together do not sweep together). Only the process holding the sweeper
 * lease sweeps in a given interval.
 */
export function startSweeper(
  db: Db,
  config: Pick<Config, 'maxSessionAgeSeconds' | 'sweepIntervalSeconds'>,
  log: FastifyBaseLogger,
): Sweeper {
  const intervalMs = config.sweepIntervalSeconds * 1000;
  let running: Promise<void> | null = null;
  let stopped = false;

  const sweepOnce = async () => {
    const holder = newHolderId();
    // The lease outlives a sweep; the minimum interval keeps other processes from sweeping again
    // in the same interval.
    const lease = await tryAcquireLease(db, SWEEPER_LEASE, holder, {
      ttlMs: intervalMs,
      minIntervalMs: Math.max(intervalMs - 1000, 0),
    });
    if (!lease.acquired) return;
    try {
      const result = await sweepLaunches(db, config);
      if (result.expired + result.abandoned + result.tokensDeleted > 0)
        log.info({ sweep: result }, 'launches swept');
    } finally {
      await releaseLease(db, SWEEPER_LEASE, holder);
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = sweepOnce()
      .catch((error: unknown) => log.error({ err: summarizeError(error) }, 'launch sweep failed'))
      .finally(() => {
        running = null;
      });
  };

  let interval: NodeJS.Timeout | undefined;
  const first = setTimeout(
    () => {
      tick();
      interval = setInterval(tick, intervalMs);
      interval.unref();
    },
    Math.floor(Math.random() * intervalMs),
  );
  first.unref();

  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      if (interval) clearInterval(interval);
      await running;
    },
  };
}

/** Run the sweeper while the app is up (unless `CHARTSIDE_SWEEP_INTERVAL_SECONDS` is 0). */
export function installLaunchSweeper(app: FastifyInstance, services: Services): void {
  if (services.config.sweepIntervalSeconds === 0) return;
  const sweeper = startSweeper(services.db, services.config, app.log);
  app.addHook('onClose', () => sweeper.stop());
}
