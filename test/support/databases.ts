/**
 * Test databases: a fresh SQLite file in a temp folder, or a fresh PostgreSQL database on
 * 127.0.0.1:5432 (user postgres) created for this run and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type TestEngine = 'sqlite' | 'postgres';

export interface TestDatabase {
  readonly url: string;
  /** SQLite: the folder holding the database file (and its WAL). */
  readonly folder: string | null;
  drop(): Promise<void>;
}

export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(engine: TestEngine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'chartside-test-'));
    return {
      url: `sqlite:${join(folder, 'chartside.db')}`,
      folder,
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  }
  const name = `chartside_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    folder: null,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        // pg's pool.end() resolves before its connections have closed; dropping "with (force)"
        // at that moment terminates them, and the client emits an error after its test ended.
        for (let waited = 0; waited < 2000; waited += 50) {
          const { rows } = await client.query(
            'select count(*)::int as n from pg_stat_activity where datname = $1',
            [name],
          );
          if (rows[0]?.n === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
