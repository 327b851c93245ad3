/**
 * What a benchmark ran on, written beside its figures: cores, CPU model, Node, the SQLite
 * library and the PostgreSQL server, the load average, and the commit (with whether the working
 * tree had changes, which on a shared checkout are often someone else's).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from '../../test/support/databases.ts';

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly sqlite: string;
  /** null when PostgreSQL did not answer. */
  readonly postgres: string | null;
  /** 1, 5 and 15 minutes, when the description was taken. */
  readonly loadAverage: readonly number[];
  readonly commit: string;
  readonly uncommittedChanges: boolean;
}

/** Above this 1-minute load average (on 2 cores), say beside the figures that they are noisy. */
export const BUSY_LOAD_AVERAGE = 3;

export async function describeMachine(): Promise<Machine> {
  return {
    cores: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    sqlite: sqliteVersion(),
    postgres: await postgresVersion(),
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    commit: git(['rev-parse', '--short=12', 'HEAD']) ?? 'unknown',
    uncommittedChanges: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  };
}

/** One line: `2 cores (AMD EPYC), Node v20…, SQLite 3.…, PostgreSQL 15.…, load 1.2/1.0/0.9, commit abc`. */
export function formatMachine(machine: Machine, loadAtEnd?: readonly number[]): string {
  const load = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join('/');
  return (
    `${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, SQLite ${machine.sqlite}, ` +
    `PostgreSQL ${machine.postgres ?? 'not reached'}, load average ${load(machine.loadAverage)} at the start` +
    `${loadAtEnd ? ` and ${load(loadAtEnd)} at the end` : ''}, commit ${machine.commit}` +
    `${machine.uncommittedChanges ? ' (with uncommitted changes in the tree)' : ''}`
  );
}

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function sqliteVersion(): string {
  const database = new SQLite(':memory:');
  try {
    return (database.prepare('select sqlite_version() as version').get() as { version: string }).version;
  } finally {
    database.close();
  }
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
