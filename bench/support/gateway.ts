/**
 * The gateway as the benchmarks run it: `chartside serve` as a child process on a fresh database
 * (a SQLite file or a PostgreSQL database), seeded first as an operator would, with `/metrics`
 * open to the benchmark so it can read how many queries the gateway sent.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type DatabaseHandle, type Db, migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { createTestDatabase, type TestEngine } from '../../test/support/databases.ts';
import { scrapeQueries } from './metrics-scrape.ts';
import { freePort, startNode, stop, waitFor } from './processes.ts';

const defaultBin = fileURLToPath(new URL('../../bin/chartside.js', import.meta.url));

export interface GatewayOptions<Seed> {
  readonly engine: TestEngine;
  /** What the benchmark sets beyond the database, port and keys (given the gateway's origin). */
  readonly env: (origin: string) => Record<string, string>;
  /** Rows written before the gateway starts (the organization, its source and connection …). */
  readonly seed: (db: Db, config: Config) => Promise<Seed>;
  readonly logLevel: string;
  /** A folder: CPU-profile the gateway into it. */
  readonly profileDir?: string | undefined;
  /** Another checkout's bin/chartside.js (BENCH_CHARTSIDE_BIN). */
  readonly bin?: string | undefined;
}

export interface Gateway<Seed> {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port>, whatever PUBLIC_URL says. */
  readonly origin: string;
  readonly config: Config;
  readonly seed: Seed;
  /** Queries sent to the database so far (`chartside_db_queries_total`). */
  queries(): Promise<number>;
  /** A handle of the benchmark's own on the gateway's database; close it. */
  openDatabase(): DatabaseHandle;
  /** Stop the process and drop its database. */
  stop(): Promise<void>;
}

export async function startGateway<Seed>(options: GatewayOptions<Seed>): Promise<Gateway<Seed>> {
  const database = await createTestDatabase(options.engine);
  const folder = database.folder ?? mkdtempSync(join(tmpdir(), 'chartside-bench-'));
  const drop = async () => {
    await database.drop();
    if (!database.folder) rmSync(folder, { recursive: true, force: true });
  };
  const origin = `http://127.0.0.1:${await freePort()}`;
  const metricsToken = randomBytes(24).toString('base64url');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    PORT: new URL(origin).port,
    PUBLIC_URL: origin,
    DATABASE_URL: database.url,
    CHARTSIDE_DATA_DIR: folder,
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: options.logLevel,
    CHARTSIDE_METRICS_TOKEN: metricsToken,
    // No background work (sweeper, webhook polling, key reloads): the query counter then counts
    // only what the benchmark's requests cause, and the CPU figures are theirs alone.
    CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
    CHARTSIDE_WEBHOOK_POLL_MS: '0',
    CHARTSIDE_KEY_RELOAD_SECONDS: '3600',
    ...options.env(origin),
  };
  let seed: Seed;
  let config: Config;
  try {
    config = loadConfig(env);
    const handle = openDatabase(config.databaseUrl, { poolSize: 1 });
    try {
      await migrateToLatest(handle);
      seed = await options.seed(handle.db, config);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  const child = startNode('chartside', options.bin ?? defaultBin, ['serve'], {
    env,
    profileDir: options.profileDir,
  });
  const stopAll = async () => {
    await stop(child);
    await drop();
  };
  try {
    await waitFor(`${origin}/health`, child);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    child,
    origin,
    config,
    seed,
    queries: () => scrapeQueries(origin, metricsToken),
    openDatabase: () => openDatabase(config.databaseUrl, { poolSize: 1 }),
    stop: stopAll,
  };
}
