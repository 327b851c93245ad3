/**
 * Two `chartside serve` processes on one PostgreSQL, behind one PUBLIC_URL as behind a load
 * balancer: the CDS answer cache (off by default; when on, shared by both processes, keyed
 * without tokens, never holding failures) and JWT replay protection across processes.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { addTrustedCdsIssuer } from '../src/cds/issuers.ts';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { setConnection } from '../src/settings/connections.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { type FakeCdsApp, type FakeEhr, startFakeCdsApp, startFakeEhr } from './support/cds.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { startGatewayProcess, stopGatewayProcesses } from './support/gateway-process.ts';
import { freePort } from './support/ports.ts';

const EHR_TOKEN = 'ehr-token-never-cached';

describe('CDS relay across two processes on one PostgreSQL', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let ehr: FakeEhr;
  let cdsApp: FakeCdsApp;
  let processes: string[] = [];
  let publicServiceUrl: string;
  let orgId: string;
  const masterKey = randomBytes(32);
  let config: ReturnType<typeof loadConfig>;

  const hook = (patientId = '12742400') => ({
    hook: 'patient-view',
    hookInstance: randomUUID(),
    fhirAuthorization: {
      access_token: EHR_TOKEN,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/Patient.read',
      subject: 'x',
    },
    fhirServer: 'https://fhir.unregistered.example/r4',
    context: { userId: 'Practitioner/1', patientId },
    prefetch: { patient: { resourceType: 'Patient', id: patientId } },
  });
  /** Call process `index` (0 or 1) with a JWT for the public URL. */
  const call = async (index: number, body: unknown, token?: string) =>
    fetch(`${processes[index]}/api/cds/${orgId}/cds-services/statins`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token ?? (await ehr.sign(publicServiceUrl))}`,
      },
      body: JSON.stringify(body),
    });
  const appCalls = () => cdsApp.requests.filter((r) => r.path === '/cds-services/statins').length;
  const setCaching = (on: boolean) =>
    setConnection(handle.db, createSealer(masterKey), config, orgId, 'cerner', { cdsCaching: on });

  before(async () => {
    database = await createTestDatabase('postgres');
    ehr = await startFakeEhr();
    cdsApp = await startFakeCdsApp();
    const ports = [await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${ports[0]}`;
    const env = {
      PATH: process.env.PATH,
      CHARTSIDE_ENV: 'test',
      HOST: '127.0.0.1',
      PUBLIC_URL: publicUrl,
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: masterKey.toString('base64'),
      LOG_LEVEL: 'warn',
      CHARTSIDE_SWEEP_INTERVAL_SECONDS: '0',
    };
    const starting = Promise.all(
      ports.map(async (port) => (await startGatewayProcess(env, port as number)).url),
    );
    starting.catch(() => {});
    config = loadConfig({ ...env, PORT: String(ports[0]) });
    handle = openDatabase(database.url, { poolSize: 2 });
    await migrateToLatest(handle);
    const org = await createOrganization(handle.db, { name: 'CDS Clinic' });
    orgId = org.id;
    await setConnection(handle.db, createSealer(masterKey), config, orgId, 'cerner', {
      cdsEndpoint: cdsApp.endpoint,
    });
    await addTrustedCdsIssuer(handle.db, config, orgId, { issuer: ehr.issuer, jwksUrl: ehr.jwksUrl });
    publicServiceUrl = `${publicUrl}/api/cds/${orgId}/cds-services/statins`;
    processes = await starting;
  });
  after(async () => {
    await stopGatewayProcesses();
    await handle?.close();
    await database?.drop();
    await ehr?.close();
    await cdsApp?.close();
  });
  beforeEach(() => {
    cdsApp.answer('/cds-services/statins', {
      body: { cards: [{ summary: 'Hello', indicator: 'info', source: { label: 'Example' } }] },
    });
  });

  it('refuses a JWT replayed at the other process', async () => {
    const token = await ehr.sign(publicServiceUrl);
    assert.equal((await call(0, hook(), token)).status, 200);
    const replay = await call(1, hook(), token);
    assert.equal(replay.status, 401);
    assert.match(((await replay.json()) as { error: { message: string } }).error.message, /jti/);
  });

  it('does not cache by default', async () => {
    const before = appCalls();
    const body = hook('12724066');
    const first = await call(0, body);
    const second = await call(1, { ...body, hookInstance: randomUUID() });
    assert.equal(first.headers.get('x-chartside-cds-cache'), null);
    assert.equal(second.headers.get('x-chartside-cds-cache'), null);
    assert.equal(appCalls() - before, 2);
  });

  it('when on, answers an identical request at either process from the shared cache', async () => {
    await setCaching(true);
    try {
      const before = appCalls();
      const body = hook('12724067');
      const first = await call(0, body);
      assert.equal(first.headers.get('x-chartside-cds-cache'), 'miss');
      const firstBody = await first.json();
      // Another hook instance and another EHR token: still the same request for the cache.
      const other = {
        ...body,
        hookInstance: randomUUID(),
        fhirAuthorization: { ...body.fhirAuthorization, access_token: 'another' },
      };
      const token = await ehr.sign(publicServiceUrl);
      const second = await call(1, other, token);
      assert.equal(second.headers.get('x-chartside-cds-cache'), 'hit');
      assert.deepEqual(await second.json(), firstBody);
      assert.equal(appCalls() - before, 1);
      // The replay check runs beside the cache read: a replayed JWT gets no cached answer.
      for (const index of [0, 1]) {
        const replayed = await call(index, other, token);
        assert.equal(replayed.status, 401);
        assert.equal(replayed.headers.get('x-chartside-cds-cache'), null);
        assert.match(((await replayed.json()) as { error: { message: string } }).error.message, /jti/);
      }

      const otherPatient = await call(1, hook('12724068'));
      assert.equal(otherPatient.headers.get('x-chartside-cds-cache'), 'miss');
      const otherPrefetch = await call(0, { ...body, prefetch: { patient: null } });
      assert.equal(otherPrefetch.headers.get('x-chartside-cds-cache'), 'miss');
      assert.equal(appCalls() - before, 3);

      const rows = await handle.db.selectFrom('cds_cache').selectAll().execute();
      assert.ok(rows.length >= 3);
      assert.ok(!JSON.stringify(rows).includes(EHR_TOKEN), 'no token in the cache');
      assert.ok(!JSON.stringify(rows).includes(body.hookInstance), 'no hookInstance in the cache');

      await handle.db
        .updateTable('cds_cache')
        .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
        .execute();
      const expired = await call(1, { ...body, hookInstance: randomUUID() });
      assert.equal(expired.headers.get('x-chartside-cds-cache'), 'miss');
      assert.equal(appCalls() - before, 4);
    } finally {
      await setCaching(false);
    }
  });

  it('never caches a failure', async () => {
    await setCaching(true);
    try {
      cdsApp.answer('/cds-services/statins', { status: 500 });
      const before = appCalls();
      const body = hook('12724069');
      assert.deepEqual(await (await call(0, body)).json(), { cards: [] });
      const again = await call(1, { ...body, hookInstance: randomUUID() });
      assert.equal(again.headers.get('x-chartside-cds-cache'), 'miss');
      assert.deepEqual(await again.json(), { cards: [] });
      assert.equal(appCalls() - before, 2);
    } finally {
      await setCaching(false);
    }
  });
});
