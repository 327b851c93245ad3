/**
 * The processes of `npm run bench:launch`: the EHR stub, the fhirclient baseline, the bare
 * relay (the floor) and the Chartside gateway (`chartside serve`, production mode, seeded as an
 * operator would).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.ts';
import { createSealer } from '../../src/crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { callbackUrl, launchUrl } from '../../src/launch/urls.ts';
import { DEFAULT_SCOPES, setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import { createTestDatabase, type TestEngine } from '../../test/support/databases.ts';
import { freePort, startNode, waitFor } from '../support/processes.ts';
import type { BareRelayConfig } from './bare-relay.ts';
import type { Subject } from './driver.ts';
import type { StubConfig } from './ehr-stub.ts';
import type { BaselineConfig } from './fhirclient-baseline.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
/** BENCH_CHARTSIDE_BIN: another checkout's bin/chartside.js, to compare two gateway versions. */
const bin = process.env.BENCH_CHARTSIDE_BIN ?? here('../../bin/chartside.js');
const TSX = ['--import', 'tsx'];
/** The gateway's public origin: https as production demands; the driver maps it to loopback. */
export const PUBLIC_URL = 'https://chartside.bench.invalid';
/** Where every subject sends the clinician; never fetched (the driver stops at the redirect). */
export const APP_LAUNCH_URL = 'https://app.bench.invalid/launch';

/** One OAuth client at the EHR, used by every subject: same scopes, same client_secret_basic. */
export interface Client {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
}

export function newClient(): Client {
  return {
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    scope: DEFAULT_SCOPES,
  };
}

export interface Running {
  readonly child: ChildProcess;
  readonly subject?: Subject;
}

/** A subject listening on 127.0.0.1:`port` whose redirect URI is its own `/callback`. */
const localCallbackUrl = (port: number) => `http://127.0.0.1:${port}/callback`;

/** The stub, with Chartside's redirect URI and `/callback` on each of `localPorts` registered. */
export async function startEhrStub(
  client: Client,
  ...localPorts: number[]
): Promise<{ child: ChildProcess; origin: string; iss: string }> {
  const port = await freePort();
  const config: StubConfig = {
    port,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUris: [callbackUrl({ publicUrl: PUBLIC_URL }), ...localPorts.map(localCallbackUrl)],
    patient: '12724066',
    encounter: '97953477',
    practitioner: '593923',
  };
  const child = startNode('ehr-stub', here('./ehr-stub.ts'), [], {
    env: { PATH: process.env.PATH, EHR_STUB_CONFIG: JSON.stringify(config) },
    nodeArgs: TSX,
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/fhir/metadata`, child);
  return { child, origin, iss: `${origin}/fhir` };
}

export async function startBaseline(client: Client, port: number): Promise<Running> {
  const config: BaselineConfig = {
    port,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scope: client.scope,
    appLaunchUrl: APP_LAUNCH_URL,
  };
  return startLocalSubject('fhirclient', './fhirclient-baseline.ts', port, {
    BASELINE_CONFIG: JSON.stringify(config),
  });
}

/** The floor: the same hops on bare fastify, no database, verification, sealing or audit. */
export async function startBareRelay(client: Client, port: number): Promise<Running> {
  const config: BareRelayConfig = {
    port,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    scope: client.scope,
    appLaunchUrl: APP_LAUNCH_URL,
    callbackUrl: localCallbackUrl(port),
  };
  return startLocalSubject('floor', './bare-relay.ts', port, { BARE_RELAY_CONFIG: JSON.stringify(config) });
}

/** A comparison subject on 127.0.0.1:`port`: `/launch`, `/callback` on itself, then the app. */
async function startLocalSubject(
  name: 'fhirclient' | 'floor',
  script: string,
  port: number,
  configEnv: Record<string, string>,
): Promise<Running> {
  const child = startNode(name, here(script), [], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...configEnv },
    nodeArgs: TSX,
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health`, child);
  return {
    child,
    subject: {
      name,
      pid: child.pid,
      launchUrl: `${origin}/launch`,
      localCallback: (url) => url,
      // fhirclient keeps the launch in its session; the floor, like Chartside, names it.
      appLaunchPrefix: name === 'floor' ? `${APP_LAUNCH_URL}?mb_launch=` : APP_LAUNCH_URL,
    },
  };
}

export interface ChartsideOptions {
  engine: TestEngine;
  iss: string;
  logLevel: string;
  profileDir?: string;
}

/** A fresh database (SQLite file or PostgreSQL database), seeded, and `chartside serve` on it. */
export async function startChartside(
  client: Client,
  options: ChartsideOptions,
): Promise<Running & { drop(): Promise<void> }> {
  const database = await createTestDatabase(options.engine);
  const folder = database.folder ?? mkdtempSync(join(tmpdir(), 'chartside-bench-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    CHARTSIDE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL,
    DATABASE_URL: database.url,
    CHARTSIDE_DATA_DIR: folder,
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: options.logLevel,
    // Per client IP, and every launch here comes from 127.0.0.1: keep the limiter (its cost is
    // part of a production launch) but far above the benchmark's rate.
    CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE: '1000000',
  };
  const config = loadConfig(env);
  const db = openDatabase(config.databaseUrl);
  let orgId: string;
  try {
    await migrateToLatest(db);
    const org = await createOrganization(db.db, { name: 'Bench Clinic' });
    orgId = org.id;
    const source = await addFhirSource(db.db, { iss: options.iss, vendor: 'smart', environment: 'sandbox' });
    await linkOrgToSource(db.db, { orgId: org.id, sourceId: source.id, actor: 'bench' });
    await setConnection(db.db, createSealer(config.masterKey), config, org.id, 'smart', {
      appLaunchUrl: APP_LAUNCH_URL,
      useCustomCredentials: true,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      authMethod: 'client_secret_basic',
      scopes: client.scope,
    });
  } finally {
    await db.close();
  }
  const child = startNode('chartside', bin, ['serve'], { env, profileDir: options.profileDir });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health`, child);
  return {
    child,
    subject: {
      name: 'chartside',
      pid: child.pid,
      launchUrl: launchUrl({ publicUrl: origin }, orgId),
      localCallback: (url) => (url.startsWith(PUBLIC_URL) ? origin + url.slice(PUBLIC_URL.length) : url),
      appLaunchPrefix: `${APP_LAUNCH_URL}?mb_launch=`,
    },
    drop: async () => {
      await database.drop();
      if (!database.folder) rmSync(folder, { recursive: true, force: true });
    },
  };
}
