/**
 * The processes of `npm run bench:launch`: the EHR stub, the fhirclient baseline, the bare
 * relay (the floor) and the Chartside gateway (`chartside serve`, production mode, seeded as an
 * operator would), each authenticating to the EHR with client_secret_basic or private_key_jwt.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, type JsonWebKey, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { createSealer } from '../../src/crypto/sealing.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../../src/launch/urls.ts';
import { DEFAULT_SCOPES, setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TestEngine } from '../../test/support/databases.ts';
import { type Gateway, startGateway } from '../support/gateway.ts';
import { freePort, startNode, waitFor } from '../support/processes.ts';
import type { BareRelayConfig } from './bare-relay.ts';
import type { Subject } from './driver.ts';
import type { StubConfig } from './ehr-stub.ts';
import type { BaselineConfig } from './fhirclient-baseline.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const TSX = ['--import', 'tsx'];
/** The gateway's public origin: https as production demands; the driver maps it to loopback. */
export const PUBLIC_URL = 'https://chartside.bench.invalid';
/** Where every subject sends the clinician; never fetched (the driver stops at the redirect). */
export const APP_LAUNCH_URL = 'https://app.bench.invalid/launch';

/** How a subject authenticates at the EHR's token endpoint: one dimension of the benchmark. */
export type AuthMethod = 'client_secret_basic' | 'private_key_jwt';
export const AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'private_key_jwt'];

/** A private JWK with the `kid` and `alg` the subjects sign with. */
export type SigningJwk = JsonWebKey & { kid: string; alg: 'RS384' };

/**
 * One OAuth client at the EHR, used by every subject: same scopes, same secret; for
 * private_key_jwt the baseline and the floor share one RS384 key, the gateway signs with its own.
 */
export interface Client {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly privateJwk: SigningJwk;
  readonly publicJwk: JsonWebKey;
}

export function newClient(): Client {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  return {
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    scope: DEFAULT_SCOPES,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS384' },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS384', use: 'sig' } as JsonWebKey,
  };
}

export interface Running {
  readonly child: ChildProcess;
  readonly subject?: Subject;
}

/** A subject listening on 127.0.0.1:`port` whose redirect URI is its own `/callback`. */
const localCallbackUrl = (port: number) => `http://127.0.0.1:${port}/callback`;

export interface EhrStub {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly iss: string;
}

/** The stub, with Chartside's redirect URI and `/callback` on each of `localPorts` registered. */
export async function startEhrStub(client: Client, ...localPorts: number[]): Promise<EhrStub> {
  const port = await freePort();
  const config: StubConfig = {
    port,
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    redirectUris: [callbackUrl({ publicUrl: PUBLIC_URL }), ...localPorts.map(localCallbackUrl)],
    clientKeys: [client.publicJwk],
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

export async function startBaseline(client: Client, port: number, authMethod: AuthMethod): Promise<Running> {
  const config: BaselineConfig = {
    port,
    clientId: client.clientId,
    scope: client.scope,
    appLaunchUrl: APP_LAUNCH_URL,
    ...(authMethod === 'private_key_jwt'
      ? { privateJwk: client.privateJwk }
      : { clientSecret: client.clientSecret }),
  };
  return startLocalSubject('fhirclient', './fhirclient-baseline.ts', port, {
    BASELINE_CONFIG: JSON.stringify(config),
  });
}

/** The floor: the same hops on bare fastify, no database, verification, sealing or audit. */
export async function startBareRelay(client: Client, port: number, authMethod: AuthMethod): Promise<Running> {
  const config: BareRelayConfig = {
    port,
    clientId: client.clientId,
    scope: client.scope,
    appLaunchUrl: APP_LAUNCH_URL,
    callbackUrl: localCallbackUrl(port),
    ...(authMethod === 'private_key_jwt'
      ? { privateJwk: client.privateJwk }
      : { clientSecret: client.clientSecret }),
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
  authMethod: AuthMethod;
  ehr: Pick<EhrStub, 'origin' | 'iss'>;
  logLevel: string;
  profileDir?: string | undefined;
  /** BENCH_CHARTSIDE_BIN: another checkout's bin/chartside.js, to compare two gateway versions. */
  bin?: string | undefined;
}

/**
 * A fresh database (SQLite file or PostgreSQL database), seeded, and `chartside serve` on it;
 * with private_key_jwt, its JWKS (the keys it made at its first start) registered at the stub.
 */
export async function startChartside(
  client: Client,
  options: ChartsideOptions,
): Promise<Gateway<{ orgId: string }> & { subject: Subject }> {
  const gateway = await startGateway({
    engine: options.engine,
    logLevel: options.logLevel,
    profileDir: options.profileDir,
    bin: options.bin,
    env: () => ({
      CHARTSIDE_ENV: 'production',
      PUBLIC_URL,
      // Per client IP, and every launch here comes from 127.0.0.1: keep the limiter (its cost is
      // part of a production launch) but far above the benchmark's rate.
      CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE: '1000000',
    }),
    seed: async (db, config) => {
      const org = await createOrganization(db, { name: 'Bench Clinic' });
      const source = await addFhirSource(db, {
        iss: options.ehr.iss,
        vendor: 'smart',
        environment: 'sandbox',
      });
      await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'bench' });
      await setConnection(db, createSealer(config.masterKey), config, org.id, 'smart', {
        appLaunchUrl: APP_LAUNCH_URL,
        useCustomCredentials: true,
        clientId: client.clientId,
        ...(options.authMethod === 'client_secret_basic' ? { clientSecret: client.clientSecret } : {}),
        authMethod: options.authMethod,
        scopes: client.scope,
      });
      return { orgId: org.id };
    },
  });
  const { origin } = gateway;
  const toLocal = (url: string) => (url.startsWith(PUBLIC_URL) ? origin + url.slice(PUBLIC_URL.length) : url);
  try {
    if (options.authMethod === 'private_key_jwt') {
      // What the EHR would fetch from the JWKS URL registered for the app.
      const jwks = await request(toLocal(jwksUrl({ publicUrl: PUBLIC_URL })));
      const registered = await request(`${options.ehr.origin}/_bench/client-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: await jwks.body.text(),
      });
      await registered.body.dump();
      if (registered.statusCode !== 204)
        throw new Error(`the stub refused the gateway's JWKS (${registered.statusCode})`);
    }
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return {
    ...gateway,
    subject: {
      name: 'chartside',
      pid: gateway.child.pid,
      launchUrl: launchUrl({ publicUrl: origin }, gateway.seed.orgId),
      localCallback: toLocal,
      appLaunchPrefix: `${APP_LAUNCH_URL}?mb_launch=`,
      databaseQueries: gateway.queries,
    },
  };
}
