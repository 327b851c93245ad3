/**
 * Migration 0007 on a database as an earlier version left it, on both engines: what worked keeps
 * working (orgs linked to the sources they launched with, keys reading the environment they
 * read, both environments' credentials copied, console sessions kept), and nothing is lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { migrationProvider } from '../src/db/migrations/index.ts';
import { findConnectionAndClient, openClient } from '../src/settings/connections.ts';
import { createTestDatabase, type TestDatabase, type TestEngine } from './support/databases.ts';

const NOW = '2026-11-01T00:00:00.000Z';
const sealer = createSealer(Buffer.alloc(32, 7));

for (const engine of ['sqlite', 'postgres'] as const satisfies readonly TestEngine[]) {
  describe(`migration 0007, going to production (${engine})`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      database = await createTestDatabase(engine);
      handle = openDatabase(database.url, { poolSize: 1 });
      const migrator = new Migrator({ db: handle.db, provider: migrationProvider(handle.engine) });
      const { error } = await migrator.migrateTo('0006-leaner-launch-writes');
      if (error) throw error;
      // biome-ignore lint/suspicious/noExplicitAny: rows as the 0006 schema had them
      const db = handle.db as any;
      for (const [id, name] of [
        ['org_sandboxonly', 'Sandbox Only'],
        ['org_live', 'Live Hospital'],
        ['org_idle', 'Idle'],
      ]) {
        await db.insertInto('organization').values({ id, name, created_at: NOW }).execute();
      }
      for (const [id, environment] of [
        ['fhirsrc_sandbox', 'sandbox'],
        ['fhirsrc_prod', 'production'],
      ]) {
        await db
          .insertInto('fhir_source')
          .values({
            id,
            vendor: 'cerner',
            name: id,
            fhir_base_url: `https://${id}.example.org/r4/t`,
            environment,
            discovery: null,
            discovered_at: null,
            created_at: NOW,
            updated_at: NOW,
          })
          .execute();
      }
      const launch = (id: string, org: string, source: string | null) => ({
        id,
        org_id: org,
        fhir_source_id: source,
        iss: 'https://x.example.org',
        status: 'ready',
        client_id: 'c',
        requested_scope: 'launch',
        created_at: NOW,
        updated_at: NOW,
      });
      await db
        .insertInto('ehr_launch')
        .values([
          launch('00000000-0000-4000-8000-000000000001', 'org_sandboxonly', 'fhirsrc_sandbox'),
          launch('00000000-0000-4000-8000-000000000002', 'org_sandboxonly', 'fhirsrc_sandbox'),
          launch('00000000-0000-4000-8000-000000000003', 'org_live', 'fhirsrc_prod'),
          launch('00000000-0000-4000-8000-000000000004', 'org_live', 'fhirsrc_sandbox'),
          launch('00000000-0000-4000-8000-000000000005', 'org_live', null),
        ])
        .execute();
      for (const [id, org] of [
        ['key_sandbox', 'org_sandboxonly'],
        ['key_live', 'org_live'],
      ]) {
        await db
          .insertInto('api_key')
          .values({ id, org_id: org, prefix: id.padEnd(12, 'x'), key_hash: 'h', created_at: NOW })
          .execute();
      }
      await db
        .insertInto('connection')
        .values({
          id: 'conn_live',
          org_id: 'org_live',
          vendor: 'cerner',
          app_launch_url: 'https://app.example.org/launch',
          cds_caching: 0,
          use_custom_credentials: 1,
          client_id: 'the-client',
          client_secret: sealer.seal('the-secret', 'connection.client_secret:conn_live'),
          auth_method: 'client_secret_basic',
          scopes: 'openid launch',
          created_at: NOW,
          updated_at: NOW,
        })
        .execute();
      await db
        .insertInto('operator')
        .values({
          id: 'op_1',
          org_id: 'org_live',
          email: 'ops@live.example',
          password_hash: 'x',
          created_at: NOW,
          updated_at: NOW,
        })
        .execute();
      await db
        .insertInto('console_session')
        .values({
          id_hash: 'session-hash',
          operator_id: 'op_1',
          csrf_token: 't',
          created_at: NOW,
          last_seen_at: NOW,
          expires_at: '2099-01-01T00:00:00.000Z',
        })
        .execute();
      await migrateToLatest(handle);
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    it('links each org to the sources it launched with, and only those', async () => {
      const links = await handle.db
        .selectFrom('org_fhir_source')
        .select(['org_id', 'fhir_source_id', 'created_by'])
        .orderBy('org_id')
        .orderBy('fhir_source_id')
        .execute();
      assert.deepEqual(links, [
        { org_id: 'org_live', fhir_source_id: 'fhirsrc_prod', created_by: 'migration' },
        { org_id: 'org_live', fhir_source_id: 'fhirsrc_sandbox', created_by: 'migration' },
        { org_id: 'org_sandboxonly', fhir_source_id: 'fhirsrc_sandbox', created_by: 'migration' },
      ]);
    });

    it('gives each launch its source’s environment (production when the source is gone)', async () => {
      const rows = await handle.db
        .selectFrom('ehr_launch')
        .select(['id', 'environment'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        rows.map((row) => row.environment),
        ['sandbox', 'sandbox', 'production', 'sandbox', 'production'],
      );
    });

    it('gives each old key the environment its org read: production once it launched in production', async () => {
      const keys = await handle.db
        .selectFrom('api_key')
        .select(['id', 'environment', 'marker'])
        .orderBy('id')
        .execute();
      assert.deepEqual(keys, [
        { id: 'key_live', environment: 'production', marker: 'sk' },
        { id: 'key_sandbox', environment: 'sandbox', marker: 'sk' },
      ]);
    });

    it('copies the connection’s credentials to both environments, secret still opening', async () => {
      const config = { platformClients: {} } as Parameters<typeof findConnectionAndClient>[2];
      for (const environment of ['sandbox', 'production'] as const) {
        const found = await findConnectionAndClient(
          handle.db,
          sealer,
          config,
          'org_live',
          'cerner',
          environment,
        );
        assert.ok(found?.client);
        assert.deepEqual(openClient(found.client), {
          clientId: 'the-client',
          clientSecret: 'the-secret',
          authMethod: 'client_secret_basic',
          // Migration 0009: the EHR's choice of assertion algorithm, no jku.
          signingAlg: null,
          jku: null,
        });
        assert.equal(found?.connection.appLaunchUrl, 'https://app.example.org/launch');
      }
    });

    it('keeps operators as org operators, and their console sessions', async () => {
      const operator = await handle.db.selectFrom('operator').selectAll().executeTakeFirstOrThrow();
      assert.equal(operator.role, 'org_operator');
      assert.equal(operator.org_id, 'org_live');
      const sessions = await handle.db
        .selectFrom('console_session')
        .select(['id_hash', 'acting_org_id'])
        .execute();
      assert.deepEqual(sessions, [{ id_hash: 'session-hash', acting_org_id: null }]);
    });
  });
}
