/**
 * Lockout with backoff after repeated failed sign-ins, per email (known or not, so the answer
 * does not reveal which emails exist). Counted in the database, so every gateway process sees
 * the same count. While locked, the password is not even checked.
 *
 * 5 failures within an hour of each other lock the email for 1 minute; each further failure
 * doubles that, up to 30 minutes. A successful sign-in clears the count.
 */
import { sql } from 'kysely';
import type { Db } from '../db/index.ts';

export const FAILURES_BEFORE_LOCK = 5;
/** Failures further apart than this start a new count. */
export const FAILURE_WINDOW_MS = 60 * 60 * 1000;
const FIRST_LOCK_MS = 60 * 1000;
const MAX_LOCK_MS = 30 * 60 * 1000;

/** How long the email is locked after its `failures`-th consecutive failure (0: not locked). */
export function lockDurationMs(failures: number): number {
  if (failures < FAILURES_BEFORE_LOCK) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** Math.min(failures - FAILURES_BEFORE_LOCK, 20), MAX_LOCK_MS);
}

/** When the email may try again, or null when it is not locked. */
export async function lockedUntil(db: Db, email: string, now = new Date()): Promise<Date | null> {
  const row = await db
    .selectFrom('sign_in_throttle')
    .select('locked_until')
    .where('email', '=', email)
    .executeTakeFirst();
  if (!row?.locked_until) return null;
  const until = new Date(row.locked_until);
  return until > now ? until : null;
}

/**
 * Count a failure. The increment is one statement, so parallel attempts cannot lose counts.
 * Returns the lock that now applies (null when none) and the failure count.
 */
export async function recordFailure(
  db: Db,
  email: string,
  now = new Date(),
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const nowIso = now.toISOString();
  const windowStart = new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString();
  await db
    .insertInto('sign_in_throttle')
    .values({ email, failures: 1, last_failure_at: nowIso, locked_until: null })
    .onConflict((oc) =>
      oc.column('email').doUpdateSet({
        failures: sql<number>`case when sign_in_throttle.last_failure_at < ${windowStart} then 1 else sign_in_throttle.failures + 1 end`,
        last_failure_at: nowIso,
      }),
    )
    .execute();
  const row = await db
    .selectFrom('sign_in_throttle')
    .select('failures')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  const failures = Number(row.failures);
  const lockMs = lockDurationMs(failures);
  if (lockMs === 0) return { failures, lockedUntil: null };
  const until = new Date(now.getTime() + lockMs);
  await db
    .updateTable('sign_in_throttle')
    .set({ locked_until: until.toISOString() })
    .where('email', '=', email)
    .execute();
  return { failures, lockedUntil: until };
}

export async function clearFailures(db: Db, email: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('email', '=', email).execute();
}
