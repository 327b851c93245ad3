/**
 * Readiness: may a load balancer send this process traffic? Yes while the database answers a
 * trivial query in time and holds every migration this code knows; no once shutdown has begun.
 * Liveness (`/healthz`) needs none of this: it only proves the event loop answers.
 */
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { Db, Engine } from '../db/index.ts';
import { migrationProvider } from '../db/migrations/index.ts';
import { summarizeError } from '../logging.ts';

/** Load balancers probe every few seconds; a database slower than this counts as unavailable. */
export const READINESS_DB_TIMEOUT_MS = 1000;

export type NotReadyReason = 'database_unavailable' | 'migrations_pending' | 'shutting_down';
export type ReadinessAnswer = { ready: true } | { ready: false; reason: NotReadyReason };

export interface Readiness {
  readonly shuttingDown: boolean;
  /** From now on the answer is `shutting_down` (SIGTERM: the drain has begun). */
  startShuttingDown(): void;
  check(): Promise<ReadinessAnswer>;
}

export function createReadiness(db: Db, engine: Engine, log: FastifyBaseLogger): Readiness {
  let shuttingDown = false;
  /** Probes that arrive together share one database round trip. */
  let inFlight: Promise<ReadinessAnswer> | null = null;
  let lastReason: NotReadyReason | null = null;
  const migrationNames = migrationProvider(engine)
    .getMigrations()
    .then((migrations) => Object.keys(migrations));

  const checkDatabase = async (): Promise<ReadinessAnswer> => {
    const names = await migrationNames;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READINESS_DB_TIMEOUT_MS} ms`)),
          READINESS_DB_TIMEOUT_MS,
        );
      });
      // One round trip answers both questions: the database is there, and so is every migration.
      const query = sql<{ applied: number | string }>`
        select count(*) as applied from kysely_migration where name in (${sql.join(names)})`.execute(db);
      query.catch(() => {}); // a query still running at the timeout must not fail unhandled later
      const { rows } = await Promise.race([query, timeout]);
      const answer: ReadinessAnswer =
        Number(rows[0]?.applied) === names.length
          ? { ready: true }
          : { ready: false, reason: 'migrations_pending' };
      noteTransition(answer);
      return answer;
    } catch (error) {
      noteTransition({ ready: false, reason: 'database_unavailable' }, error);
      return { ready: false, reason: 'database_unavailable' };
    } finally {
      clearTimeout(timer);
    }
  };

  // Logged when the answer changes, not per probe: a probe every few seconds would drown the log.
  const noteTransition = (answer: ReadinessAnswer, error?: unknown) => {
    const reason = answer.ready ? null : answer.reason;
    if (reason === lastReason) return;
    if (reason) log.warn({ reason, err: summarizeError(error) }, 'not ready');
    else if (lastReason) log.info({ previously: lastReason }, 'ready again');
    lastReason = reason;
  };

  return {
    get shuttingDown() {
      return shuttingDown;
    },
    startShuttingDown() {
      shuttingDown = true;
    },
    check() {
      if (shuttingDown) return Promise.resolve({ ready: false, reason: 'shutting_down' });
      inFlight ??= checkDatabase().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}
