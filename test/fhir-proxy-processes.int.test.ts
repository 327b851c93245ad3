/**
 * Two `chartside serve` processes on one PostgreSQL, as behind a load balancer: 50 requests
 * arriving at both at the moment a launch's token expires make exactly one refresh call at the
 * EHR (the refresh lease in the database), and every request is answered with the new token.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/api/api-keys.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { tokenContext } from '../src/launch/ehr-launches.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../src/launch/urls.ts';
import { type RunningSandbox, startSandbox } from '../src/sandbox/index.ts';
import { setConnection } from '../src/settings/connections.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import {
  advanceSandboxClock,
  auditEvents,
  expireStoredToken,
  proxyFetch,
  sandboxCounts,
  waitForAudit,
} from './support/fhir-proxy.ts';
import { type GatewayProcess, startGatewayProcess, stopGatewayProcesses } from './support/gateway-process.ts';
import { authorizeAtEhr, launchIdFrom } from './support/launch-driver.ts';
import { freePort } from './support/ports.ts';
import { clearRecordedRequests, recordedRequests, sandboxLaunch } from './support/sandbox-controls.ts';

describe('two gateway processes on one PostgreSQL', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let sandbox: RunningSandbox;
  let gateways: GatewayProcess[] = [];
  let apiKey: string;
  let launchId: string;
  const masterKey = randomBytes(32);

  before(async () => {
    database = await createTestDatabase('postgres');
    const ports = [await freePort(), await freePort()];
    const env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: masterKey.toString('base64'),
      LOG_LEVEL: 'warn',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
      // The production default: each process remembers the launch row it read, so at expiry the
      // stale row's token is refused by the EHR (401) and the one refresh goes through that path.
      CHARTSIDE_LOOKUP_CACHE_MS: '2000',
    };
    // Both processes start (and migrate, under Kysely's lock) while the database is seeded.
    const starting = Promise.all(ports.map((port) => startGatewayProcess(env, port as number)));
    starting.catch(() => {}); // awaited below; an early failure must not go unhandled meanwhile
    // Seed the shared database the way an operator's scripts would.
    const config = loadConfig({ ...env, PORT: String(ports[0]), PUBLIC_URL: `http://127.0.0.1:${ports[0]}` });
    handle = openDatabase(database.url, { poolSize: 2 });
    await migrateToLatest(handle);
    const org = await createOrganization(handle.db, { name: 'Scale-out Clinic' });
    const clientId = randomUUID();
    const clientSecret = randomBytes(24).toString('base64url');
    sandbox = await startSandbox({
      port: 0,
      testControls: true,
      apps: [
        {
          name: 'Chartside scale-out test',
          applicationId: randomUUID(),
          clientId,
          secret: clientSecret,
          jwksUrl: jwksUrl(config),
          redirectUris: [callbackUrl(config)],
          launchUri: launchUrl(config, org.id),
          accessType: 'offline',
          scopes: [
            'openid',
            'fhirUser',
            'launch',
            'online_access',
            'user/Patient.read',
            'user/Observation.read',
          ],
        },
      ],
    });
    const source = await addFhirSource(handle.db, {
      iss: sandbox.fhirBaseUrl,
      vendor: 'cerner',
      environment: 'sandbox',
    });
    await linkOrgToSource(handle.db, { orgId: org.id, sourceId: source.id, actor: 'test' });
    await setConnection(handle.db, createSealer(masterKey), config, org.id, 'cerner', {
      appLaunchUrl: 'https://app.example.org/launch',
      useCustomCredentials: true,
      clientId,
      clientSecret,
      scopes: 'openid fhirUser launch user/Patient.read user/Observation.read online_access',
    });
    apiKey = (await createApiKey(handle.db, org.id, 'test')).key;
    gateways = await starting;

    // One launch, through the first process (its PUBLIC_URL is the registered redirect URI).
    const ehrLaunch = await sandboxLaunch(sandbox, clientId, { patient: '12742400', encounter: '97953530' });
    const started = await fetch(ehrLaunch.launch_url, { redirect: 'manual' });
    const authorize = new URL(started.headers.get('location') as string);
    const callback = await authorizeAtEhr(authorize, ehrLaunch.session_cookie);
    launchId = launchIdFrom(await fetch(callback, { redirect: 'manual' }));
  });

  after(async () => {
    await stopGatewayProcesses();
    await sandbox?.close();
    await handle?.close();
    await database?.drop();
  });

  it('both processes serve the launch', async () => {
    for (const gateway of gateways) {
      const { response } = await proxyFetch(gateway.url, apiKey, launchId, 'Patient/12742400');
      assert.equal(response.status, 200, gateway.output.join(''));
    }
  });

  it('50 concurrent requests at expiry, across both processes, make exactly one refresh call', async () => {
    await expireStoredToken(handle.db, launchId);
    await advanceSandboxClock(sandbox, 700); // the old token is dead at the EHR too
    await clearRecordedRequests(sandbox);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        proxyFetch(
          (gateways[index % 2] as GatewayProcess).url,
          apiKey,
          launchId,
          'Observation?patient=12742400&_count=2',
        ),
      ),
    );
    assert.deepEqual(
      answers.map((answer) => answer.response.status),
      Array(50).fill(200),
      JSON.stringify(answers.find((answer) => answer.response.status !== 200)?.body),
    );

    const counts = await sandboxCounts(sandbox);
    assert.equal(counts.refresh_token, 1, 'one refresh call at the EHR');
    const row = await handle.db
      .selectFrom('ehr_launch')
      .selectAll()
      .where('id', '=', launchId)
      .executeTakeFirstOrThrow();
    const renewed = createSealer(masterKey).open(
      row.access_token as string,
      tokenContext(launchId, 'access_token'),
    );
    const sent = await recordedRequests(sandbox, 'fhir');
    assert.ok(sent.length >= 50);
    const withNewToken = sent.filter((request) => request.headers.authorization === `Bearer ${renewed}`);
    assert.equal(withNewToken.length, 50, 'every request was answered with the refreshed token');

    const refreshed = await auditEvents(handle.db, { launchId, action: 'token.refreshed' });
    assert.equal(refreshed.length, 1);
    const proxied = await waitForAudit(handle.db, { launchId, action: 'fhir.request' }, 52);
    assert.equal(proxied.length, 52, 'every request of both processes is in the trail');
  });
});
