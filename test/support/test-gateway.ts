/**
 * A gateway listening on a free port of 127.0.0.1 with a fresh database (SQLite or PostgreSQL)
 * and its own master key: the start of every test stack (stack.ts, profile-stack.ts,
 * smart-stack.ts and the suites that seed their own EHRs).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { createTestDatabase, type TestDatabase, type TestEngine } from './databases.ts';
import { freePort } from './ports.ts';

export interface TestGatewayOptions {
  engine?: TestEngine;
  /** The gateway's outbound timeout (CHARTSIDE_HTTP_TIMEOUT_MS), default 2000 ms. */
  timeoutMs?: number;
  /** Default `info`, kept in `logs`; `silent` keeps nothing. */
  logLevel?: string;
  /** Extra environment (e.g. `CHARTSIDE_CDS_TIMEOUT_MS`). */
  env?: Record<string, string>;
  build?: Omit<BuildOptions, 'logStream'>;
}

export interface TestGateway {
  readonly gateway: FastifyInstance;
  readonly gatewayUrl: string;
  readonly config: Config;
  readonly database: TestDatabase;
  /** Every log line the gateway wrote. */
  readonly logs: string[];
  /** Closes the gateway and drops its database. */
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const database = await createTestDatabase(options.engine ?? 'sqlite');
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    CHARTSIDE_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: gatewayUrl,
    DATABASE_URL: database.url,
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    CHARTSIDE_HTTP_TIMEOUT_MS: String(options.timeoutMs ?? 2000),
    LOG_LEVEL: options.logLevel ?? 'info',
    ...options.env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const gateway = await buildApp(config, { ...options.build, logStream });
  await gateway.listen({ host: '127.0.0.1', port });
  return {
    gateway,
    gatewayUrl,
    config,
    database,
    logs,
    async close() {
      await gateway.close();
      await database.drop();
    },
  };
}
