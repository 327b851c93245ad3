/**
 * Writes the proxy's `fhir.request` audit events in small batches: one multi-row INSERT per
 * batch instead of one commit per request, which on SQLite is the proxy's largest per-request
 * cost after the EHR call itself.
 *
 * A batch is written at most `flushAfterMs` after its first event, or at once when it holds
 * `maxBatch` events, and when the app closes. The cost: a process that dies abruptly (SIGKILL,
 * power) loses the events of at most that last fraction of a second. Every other audit event
 * (refresh, launch lifecycle) is written synchronously, in the same transaction as the change.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Engine } from '../db/index.ts';
import { summarizeError } from '../logging.ts';
import { type AuditRow, insertAuditRow } from './audit-log.ts';

export interface AuditWriter {
  add(row: AuditRow): void;
  /** Write what is queued now (also waits for a write in progress). */
  flush(): Promise<void>;
}

export function createAuditWriter(
  db: Db,
  log: FastifyBaseLogger,
  options: { flushAfterMs?: number; maxBatch?: number; engine?: Engine } = {},
): AuditWriter {
  const flushAfterMs = options.flushAfterMs ?? 25;
  const maxBatch = options.maxBatch ?? 200;
  let queued: AuditRow[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  const write = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queued.length === 0) return writing;
    const batch = queued;
    queued = [];
    writing = writing.then(() =>
      insertBatch(db, batch, options.engine ?? 'postgres').then(
        () => undefined,
        (error: unknown) =>
          log.error(
            { err: summarizeError(error), events: batch.length },
            'could not record FHIR audit events',
          ),
      ),
    );
    return writing;
  };

  return {
    add(row) {
      queued.push(row);
      if (queued.length >= maxBatch) void write();
      else if (!timer) timer = setTimeout(write, flushAfterMs);
    },
    flush: write,
  };
}

/**
 * PostgreSQL: one multi-row INSERT (one round trip). SQLite: the one-row insert, compiled once,
 * per row in one transaction, so its prepared statement is reused (a multi-row INSERT is new SQL
 * for every batch size, and preparing it cost more than writing).
 */
async function insertBatch(db: Db, batch: AuditRow[], engine: Engine): Promise<void> {
  if (engine === 'postgres') {
    await db.insertInto('audit_event').values(batch).execute();
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const row of batch) await insertAuditRow(trx, row);
  });
}
