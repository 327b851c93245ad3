/**
 * What `npm run bench:proxy` measures against, per engine: the local Cerner sandbox (one app
 * registered for the gateway), the gateway (`chartside serve`, seeded as an operator would, the
 * lookup cache as configured, the FHIR rate limiter on but far above the benchmark's rate), one
 * EHR launch made hop by hop, and the pass-through floor with that launch's EHR token.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../../src/api/api-keys.ts';
import type { Config } from '../../src/config/index.ts';
import { createSealer } from '../../src/crypto/sealing.ts';
import { tokenContext } from '../../src/launch/ehr-launches.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../../src/launch/urls.ts';
import { setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TestEngine } from '../../test/support/databases.ts';
import { type Gateway, startGateway } from '../support/gateway.ts';
import { freePort, startNode, stop, waitFor } from '../support/processes.ts';
import type { Endpoint, Target } from './runs.ts';

const bin = fileURLToPath(new URL('../../bin/chartside.js', import.meta.url));
const passThroughScript = fileURLToPath(new URL('../pass-through-proxy.ts', import.meta.url));
const TENANT = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
/** The sandbox patient the launch is for, and whom the scenarios read. */
export const PATIENT = '12742400';

export interface StackSettings {
  readonly logLevel: string;
  readonly profile: string | undefined;
  readonly lookupCacheMs: string;
}

interface ProxySeed {
  readonly orgId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiKey: string;
}

/** The sandbox (its one app registered for the gateway), the gateway, one launch, the floor. */
export async function withStack<T>(
  settings: StackSettings,
  engine: TestEngine,
  body: (endpoints: Record<Target, Endpoint>, sandbox: ChildProcess) => Promise<T>,
): Promise<T> {
  const folder = mkdtempSync(join(tmpdir(), 'chartside-bench-proxy-'));
  const children: ChildProcess[] = [];
  const sandboxOrigin = `http://127.0.0.1:${await freePort()}`;
  const fhirBase = `${sandboxOrigin}/r4/${TENANT}`;
  let gateway: Gateway<ProxySeed> | undefined;
  try {
    gateway = await startGateway<ProxySeed>({
      engine,
      logLevel: settings.logLevel,
      profileDir: settings.profile,
      env: () => ({
        CHARTSIDE_ENV: 'test',
        CHARTSIDE_LOOKUP_CACHE_MS: settings.lookupCacheMs,
        // Test mode leaves the limiter out; production has it, so it is on, far above the rate.
        CHARTSIDE_RATE_LIMIT_FHIR_PER_MINUTE: '1000000',
      }),
      seed: async (db, config) => {
        const org = await createOrganization(db, { name: 'Bench Clinic' });
        const clientId = randomUUID();
        const clientSecret = randomBytes(24).toString('base64url');
        const source = await addFhirSource(db, { iss: fhirBase, vendor: 'cerner', environment: 'sandbox' });
        await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'bench' });
        await setConnection(db, createSealer(config.masterKey), config, org.id, 'cerner', {
          appLaunchUrl: 'https://app.example.org/launch',
          useCustomCredentials: true,
          clientId,
          clientSecret,
        });
        const { key: apiKey } = await createApiKey(db, org.id, 'bench');
        return { orgId: org.id, clientId, clientSecret, apiKey };
      },
    });
    const sandbox = startSandbox(settings, folder, sandboxOrigin, gateway.config, gateway.seed);
    children.push(sandbox);
    await waitFor(`${fhirBase}/metadata`, sandbox);
    const { launchId, ehrToken } = await launchOnce(gateway, sandboxOrigin);
    const floorPort = await freePort();
    const floor = startNode('pass-through', passThroughScript, [], {
      env: {
        PATH: process.env.PATH,
        PASS_THROUGH_PORT: String(floorPort),
        PASS_THROUGH_TARGET: fhirBase,
        PASS_THROUGH_TOKEN: ehrToken,
      },
      nodeArgs: ['--import', 'tsx'],
    });
    children.push(floor);
    await waitFor(`http://127.0.0.1:${floorPort}/metadata`, floor);
    const accept = { accept: 'application/fhir+json' };
    return await body(
      {
        direct: {
          url: `${fhirBase}/`,
          headers: { ...accept, authorization: `Bearer ${ehrToken}` },
          relayPid: undefined,
        },
        proxy: {
          url: `${gateway.origin}/fhir/${launchId}/`,
          headers: { ...accept, authorization: `Bearer ${gateway.seed.apiKey}` },
          relayPid: gateway.child.pid,
          databaseQueries: gateway.queries,
        },
        'pass-through': { url: `http://127.0.0.1:${floorPort}/`, headers: accept, relayPid: floor.pid },
      },
      sandbox,
    );
  } finally {
    await Promise.all(children.map(stop));
    await gateway?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

function startSandbox(
  settings: StackSettings,
  folder: string,
  origin: string,
  config: Config,
  seed: ProxySeed,
): ChildProcess {
  const file = join(folder, 'sandbox.json');
  writeFileSync(
    file,
    JSON.stringify({
      host: '127.0.0.1',
      publicOrigin: origin,
      tenant: TENANT,
      testControls: true,
      accessTokenLifetimeSeconds: 3600,
      apps: [
        {
          name: 'Chartside bench',
          applicationId: randomUUID(),
          clientId: seed.clientId,
          secret: seed.clientSecret,
          jwksUrl: jwksUrl(config),
          redirectUris: [callbackUrl(config)],
          launchUri: launchUrl(config, seed.orgId),
          accessType: 'offline',
          scopes: [
            'openid',
            'fhirUser',
            'launch',
            'online_access',
            'user/Patient.read',
            'user/Encounter.read',
            'user/Observation.read',
          ],
        },
      ],
    }),
  );
  return startNode('sandbox', bin, ['sandbox', '--config', file, '--port', new URL(origin).port], {
    env: { PATH: process.env.PATH, LOG_LEVEL: settings.logLevel },
    profileDir: settings.profile,
  });
}

/** One EHR launch, hop by hop as a browser would; the launch id and its EHR access token. */
async function launchOnce(gateway: Gateway<ProxySeed>, sandboxOrigin: string) {
  const launch = (await (
    await fetch(`${sandboxOrigin}/_test/launch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: gateway.seed.clientId, patient: PATIENT, encounter: '97953530' }),
    })
  ).json()) as { launch_url: string; session_cookie: string };
  const toEhr = await fetch(launch.launch_url, { redirect: 'manual' });
  const authorize = await fetch(toEhr.headers.get('location') as string, {
    redirect: 'manual',
    headers: { cookie: launch.session_cookie },
  });
  const callback = await fetch(authorize.headers.get('location') as string, { redirect: 'manual' });
  const launchId = new URL(callback.headers.get('location') ?? 'x:').searchParams.get('mb_launch');
  if (!launchId) throw new Error(`the launch did not complete (${callback.status})`);
  const database = gateway.openDatabase();
  try {
    const row = await database.db
      .selectFrom('ehr_launch')
      .select('access_token')
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    const ehrToken = createSealer(gateway.config.masterKey).open(
      row.access_token as string,
      tokenContext(launchId, 'access_token'),
    );
    return { launchId, ehrToken };
  } finally {
    await database.close();
  }
}
