/**
 * Leases in the database: mutual exclusion across every process on one database, SQLite or
 * PostgreSQL, without holding a transaction (or a SQLite write lock) open while the holder talks
 * to an EHR.
 *
 * Taking a lease is one statement, `INSERT … ON CONFLICT (name) DO UPDATE … WHERE <free> RETURNING
 * holder`: both engines run it atomically, so of any number of racing processes exactly one gets
 * its holder id back. A lease is free when its `expires_at` has passed (released, or a holder that
 * died) and, when the caller asks for a minimum interval, its last `acquired_at` is at least that
 * long ago — which is how "at most one refresh a minute per launch" holds across processes.
 *
 * Instants come from each process's clock (ISO-8601 strings compare like instants); hosts that
 * share a database are expected to keep their clocks in sync (NTP), as for every other expiry here.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';

export interface LeaseTerms {
  /** How long the holder may keep it; a holder that dies frees it after this. */
  readonly ttlMs: number;
  /** The lease cannot be taken again until this long after it was last taken (0 = no limit). */
  readonly minIntervalMs?: number;
}

export type LeaseAttempt =
  | { readonly acquired: true; readonly holder: string }
  | {
      readonly acquired: false;
      /** Another holder has it until then, or null when it is free but throttled. */
      readonly heldUntil: number | null;
      /** When the minimum interval allows the next taking. */
      readonly nextAllowedAt: number;
    };

export function newHolderId(): string {
  return randomUUID();
}

export async function tryAcquireLease(
  db: Db,
  name: string,
  holder: string,
  terms: LeaseTerms,
  now = Date.now(),
): Promise<LeaseAttempt> {
  const nowIso = new Date(now).toISOString();
  const expiresAt = new Date(now + terms.ttlMs).toISOString();
  const throttledBefore = new Date(now - (terms.minIntervalMs ?? 0)).toISOString();
  const taken = await db
    .insertInto('lease')
    .values({ name, holder, expires_at: expiresAt, acquired_at: nowIso })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ holder, expires_at: expiresAt, acquired_at: nowIso })
        .where('lease.expires_at', '<=', nowIso)
        .where('lease.acquired_at', '<=', throttledBefore),
    )
    .returning('holder')
    .executeTakeFirst();
  if (taken?.holder === holder) return { acquired: true, holder };

  const current = await db
    .selectFrom('lease')
    .select(['expires_at', 'acquired_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  const heldUntil = current ? Date.parse(current.expires_at) : now;
  const lastAcquired = current ? Date.parse(current.acquired_at) : now;
  return {
    acquired: false,
    heldUntil: heldUntil > now ? heldUntil : null,
    nextAllowedAt: lastAcquired + (terms.minIntervalMs ?? 0),
  };
}

/** Free a lease we hold (a no-op when it was taken over meanwhile). The last taking time stays. */
export async function releaseLease(db: Db, name: string, holder: string, now = Date.now()): Promise<void> {
  await db
    .updateTable('lease')
    .set({ expires_at: new Date(now).toISOString(), holder: null })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}
