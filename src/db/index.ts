/**
 * One Kysely code path over two engines: better-sqlite3 (embedded default, WAL) and pg.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';
import { type Engine, engineOf } from './engine.ts';
import { migrationProvider } from './migrations/index.ts';
import type { Database } from './schema.ts';

export type { Engine } from './engine.ts';
export type * from './schema.ts';
export type Db = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly engine: Engine;
  close(): Promise<void>;
}

export function openDatabase(databaseUrl: string, options: { poolSize?: number } = {}): DatabaseHandle {
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
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, engine, close: () => db.destroy() };
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver prepares every statement anew; preparing costs more than running a
 * short query, and every request runs the same few statements. Statements are reused by SQL
 * text (SQLite re-prepares them itself after a schema change). Safe because better-sqlite3 runs
 * each statement to completion synchronously and we never stream results.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
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
