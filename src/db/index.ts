/**
 * One Kysely code path over two engines: better-sqlite3 (embedded default, WAL) and pg.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type SqliteDatabase, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { type Engine, engineOf } from './engine.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { checkpointInBackground } from './sqlite-checkpoints.ts';
import { wrappedPool } from './statements.ts';

export type { Engine } from './engine.ts';
export type * from './schema.ts';
export type Db = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly engine: Engine;
  /** PostgreSQL: the pool's connections (the metrics); absent on SQLite. */
  readonly poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL: connections in the pool (10). */
  poolSize?: number;
  /** SQLite file: checkpoint the WAL from a worker thread (the server; see sqlite-checkpoints.ts). */
  backgroundCheckpoints?: boolean;
  /** PostgreSQL: run the hot queries (db/statements.ts) as named prepared statements. */
  preparedStatements?: boolean;
  /**
   * Called once per query sent to the database, `begin` and `commit` included: on PostgreSQL a
   * round trip, on SQLite a statement run (`chartside_db_queries_total`).
   */
  onQuery?: () => void;
}

export function openDatabase(databaseUrl: string, options: OpenOptions = {}): DatabaseHandle {
  const engine = engineOf(databaseUrl);
  if (engine === 'sqlite') {
    const file = databaseUrl.slice('sqlite:'.length);
    const inMemory = file === ':memory:' || file === '';
    if (!inMemory) mkdirSync(dirname(resolve(file)), { recursive: true });
    const sqlite = new SQLite(inMemory ? ':memory:' : file);
    sqlite.pragma('journal_mode = WAL');
    // Writers from several processes on one file wait rather than fail at once.
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    // SQLite's own default page cache (2 MB), not better-sqlite3's 16 MB: the gateway's reads are
    // point lookups whose interior pages stay cached either way, and the larger cache, filling as
    // the database grew, showed as memory growth in the bench's soak (README, Performance).
    sqlite.pragma('cache_size = -2000');
    const checkpoints =
      options.backgroundCheckpoints && !inMemory ? checkpointInBackground(sqlite, resolve(file)) : null;
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: withStatementCache(sqlite, options.onQuery) }),
    });
    return {
      db,
      engine,
      close: async () => {
        await checkpoints?.stop();
        await db.destroy();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  // A connection the server drops (a PostgreSQL restart or failover) is reported as an 'error'
  // event: by the pool for an idle connection, by the client itself for one checked out between
  // two statements (a transaction). Unhandled, either event ends the whole process. Nothing else
  // is needed: the statement in flight fails with the error, the broken client is discarded when
  // it is released, and the next query opens a new connection.
  pool.on('error', ignoreDroppedConnection);
  pool.on('connect', (client) => client.on('error', ignoreDroppedConnection));
  const prepare = options.preparedStatements === true;
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: prepare || options.onQuery ? wrappedPool(pool, { prepare, onQuery: options.onQuery }) : pool,
    }),
  });
  const poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });
  return { db, engine, poolStats, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more than running a
 * short query, and every request runs the same few statements. Statements are reused by SQL
 * text (SQLite re-prepares them itself after a schema change). Safe because better-sqlite3 runs
 * each statement to completion synchronously and we never stream results. Kysely asks for a
 * statement each time it runs one, so `onQuery` counts statements run.
 */
function withStatementCache(sqlite: SQLite.Database, onQuery: (() => void) | undefined): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      onQuery?.();
      let statement = statements.get(sql);
      if (!statement) {
        // Dynamic SQL (IN lists of varying length) cannot grow the cache without bound.
        if (statements.size >= 500) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  } as SqliteDatabase;
}

/**
 * PostgreSQL session advisory lock held while a process initialises the database at start-up.
 * Any 64-bit number no other tool on the database uses; Kysely's own migration lock is another.
 */
const STARTUP_LOCK_ID = '7203114905310721';

/**
 * Run start-up initialisation (migrations, the first signing keys) in one process at a time.
 * Kysely's migrator serialises the migrations themselves, but not what follows: two processes
 * starting together on a fresh database would each see no signing keys, each generate a set,
 * and publish different JWKS until they reload. Under this lock the second process finds the
 * first one's keys. SQLite is one process on one machine, so it needs none. A process that dies
 * holding the lock loses its session, and with it the lock.
 */
export async function whileHoldingStartupLock<T>(
  handle: DatabaseHandle,
  initialise: () => Promise<T>,
): Promise<T> {
  if (handle.engine === 'sqlite') return initialise();
  return handle.db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${sql.raw(STARTUP_LOCK_ID)})`.execute(connection);
    try {
      return await initialise();
    } finally {
      await sql`select pg_advisory_unlock(${sql.raw(STARTUP_LOCK_ID)})`.execute(connection);
    }
  });
}

function ignoreDroppedConnection(): void {}

/** Bring the schema up to date. Safe to call from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(handle: DatabaseHandle): Promise<void> {
  const migrator = new Migrator({ db: handle.db, provider: migrationProvider(handle.engine) });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}

/** A unique-constraint violation from either engine (two writers raced to the same key). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
