/**
 * The launch's writes (src/launch/ehr-launches.ts, hot queries compiled once) on both engines:
 * PostgreSQL runs each group as one statement with data-modifying CTEs, SQLite as a transaction.
 * Same rows, same audit trail, same refusal to touch a launch that is no longer pending.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createSealer } from '../src/crypto/sealing.ts';
import { type DatabaseHandle, type Db, migrateToLatest, openDatabase } from '../src/db/index.ts';
import { NO_ADDRESS_RANGES } from '../src/http/address-ranges.ts';
import { createPendingLaunch, failLaunch, findLaunch, tokenContext } from '../src/launch/ehr-launches.ts';
import { completeLaunch } from '../src/launch/launch-completion.ts';
import { consumeLaunchState, newState } from '../src/launch/launch-state.ts';
import { endLaunch } from '../src/launch/lifecycle.ts';
import { sweepLaunches } from '../src/launch/sweeper.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import type { TokenSet } from '../src/smart/code-exchange.ts';
import { addWebhookEndpoint } from '../src/webhooks/endpoints.ts';
import { createTestDatabase, type TestDatabase, type TestEngine } from './support/databases.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { insertFhirSource } from './support/memory-database.ts';
import { startStack } from './support/stack.ts';

const sealer = createSealer(randomBytes(32));

const tokens = (patient: string | null): TokenSet => ({
  accessToken: 'access-token-value',
  refreshToken: 'refresh-token-value',
  expiresIn: 570,
  scope: 'launch openid fhirUser patient/Patient.read',
  patient,
  encounter: '97953477',
  needPatientBanner: false,
  smartStyleUrl: 'https://ehr.example/style.json',
  tenant: 'tenant-1',
  idTokenClaims: { sub: 'user-1', fhirUser: 'Practitioner/593923' },
  fhirUser: 'Practitioner/593923',
});

/** A pending launch for `orgId` at `sourceId`, written through `db`; its id and raw state. */
async function startLaunch(db: Db, orgId: string, sourceId: string, requestId: string) {
  const state = newState();
  const id = await createPendingLaunch(
    db,
    sealer,
    {
      orgId,
      fhirSourceId: sourceId,
      environment: 'sandbox',
      iss: 'https://ehr.example/fhir',
      clientId: 'client-1',
      requestedScope: 'launch openid',
      codeVerifier: 'verifier-abc',
      redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
      requestId,
    },
    state,
  );
  return { id, state };
}

for (const engine of ['sqlite', 'postgres'] as TestEngine[]) {
  describe(`launch writes (${engine})`, () => {
    let database: TestDatabase;
    let handle: DatabaseHandle;
    let orgId: string;
    const sourceId = 'fhirsrc_writes';

    before(async () => {
      database = await createTestDatabase(engine);
      handle = openDatabase(database.url);
      await migrateToLatest(handle);
      orgId = (await createOrganization(handle.db, { name: 'Writes Clinic' })).id;
      await insertFhirSource(handle.db, sourceId, 'https://ehr.example/fhir');
    });
    after(async () => {
      await handle.close();
      await database.drop();
    });

    const start = (requestId: string) => startLaunch(handle.db, orgId, sourceId, requestId);

    const audit = (launchId: string) =>
      handle.db
        .selectFrom('audit_event')
        .select(['action', 'actor', 'org_id', 'request_id', 'details'])
        .where('launch_id', '=', launchId)
        .orderBy('id')
        .execute();

    it('a started launch is pending, its state opens to the same launch, and the start is audited', async () => {
      const { id, state } = await start('req-start');
      const launch = await handle.db
        .selectFrom('ehr_launch')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      assert.equal(launch?.status, 'pending');
      assert.equal(launch?.org_id, orgId);
      assert.equal(launch?.fhir_source_id, sourceId);
      assert.equal(launch?.requested_scope, 'launch openid');
      assert.equal(launch?.created_at, launch?.updated_at);
      const taken = await consumeLaunchState(handle.db, sealer, state);
      assert.deepEqual(taken, {
        launchId: id,
        orgId,
        fhirSourceId: sourceId,
        codeVerifier: 'verifier-abc',
        redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
        clientId: 'client-1',
        startedAt: launch?.created_at,
      });
      assert.deepEqual(await audit(id), [
        {
          action: 'launch.started',
          actor: 'ehr',
          org_id: orgId,
          request_id: 'req-start',
          details: JSON.stringify({ fhir_source: sourceId, mode: 'ehr' }),
        },
      ]);
    });

    it('completing stores sealed tokens and context once; the second patient launch counts up', async () => {
      const first = await start('req-1');
      assert.equal(
        await completeLaunch(handle.db, sealer, launchRef(first.id), tokens('12724066'), 'r1'),
        true,
      );
      assert.equal(
        await completeLaunch(handle.db, sealer, launchRef(first.id), tokens('12724066'), 'r1b'),
        false,
        'a ready launch is not completed again',
      );
      const row = await handle.db
        .selectFrom('ehr_launch')
        .selectAll()
        .where('id', '=', first.id)
        .executeTakeFirst();
      assert.equal(row?.status, 'ready');
      assert.equal(row?.patient_fhir_id, '12724066');
      assert.equal(row?.encounter_fhir_id, '97953477');
      assert.equal(row?.fhir_user, 'Practitioner/593923');
      assert.equal(Number(row?.need_patient_banner), 0);
      assert.equal(row?.tenant, 'tenant-1');
      assert.ok(row?.access_token && !row.access_token.includes('access-token-value'));
      assert.equal(
        sealer.open(row?.access_token ?? '', tokenContext(first.id, 'access_token')),
        'access-token-value',
      );
      assert.equal(
        sealer.open(row?.refresh_token ?? '', tokenContext(first.id, 'refresh_token')),
        'refresh-token-value',
      );
      assert.equal(row?.completed_at, row?.updated_at);
      assert.ok(row?.token_expires_at && Date.parse(row.token_expires_at) > Date.now() + 500_000);

      const second = await start('req-2');
      assert.equal(
        await completeLaunch(handle.db, sealer, launchRef(second.id), tokens('12724066'), 'r2'),
        true,
      );
      const account = await handle.db
        .selectFrom('scoped_account')
        .selectAll()
        .where('patient_fhir_id', '=', '12724066')
        .executeTakeFirstOrThrow();
      assert.equal(Number(account.launch_count), 2);
      assert.equal(account.first_launch_id, first.id);
      assert.equal(account.last_launch_id, second.id);
      assert.deepEqual(
        (await audit(first.id)).map((event) => [event.action, event.request_id]),
        [
          ['launch.started', 'req-1'],
          ['launch.ready', 'r1'],
        ],
      );
    });

    it('a launch without a patient writes no scoped account', async () => {
      const before = await handle.db.selectFrom('scoped_account').select('id').execute();
      const { id } = await start('req-np');
      assert.equal(await completeLaunch(handle.db, sealer, launchRef(id), tokens(null), 'r-np'), true);
      const afterward = await handle.db.selectFrom('scoped_account').select('id').execute();
      assert.equal(afterward.length, before.length);
    });

    it('failing is recorded and audited once, and never overrides a ready launch', async () => {
      const { id } = await start('req-f');
      await failLaunch(handle.db, id, {
        code: 'oauth_error',
        ehrError: 'access_denied',
        ehrErrorUri: 'https://ehr.example/errors/1',
        reason: 'clinician declined',
        requestId: 'req-f2',
      });
      await failLaunch(handle.db, id, { code: 'token_exchange_failed', requestId: 'req-f3' });
      const row = await handle.db
        .selectFrom('ehr_launch')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      assert.equal(row?.status, 'failed');
      assert.equal(row?.error_code, 'oauth_error');
      assert.equal(row?.ehr_error, 'access_denied');
      assert.equal(row?.ehr_error_uri, 'https://ehr.example/errors/1');
      const events = await audit(id);
      assert.deepEqual(
        events.map((event) => event.action),
        ['launch.started', 'launch.failed'],
      );
      assert.deepEqual(JSON.parse(events[1]?.details ?? '{}'), {
        code: 'oauth_error',
        ehr_error: 'access_denied',
        reason: 'clinician declined',
      });
      assert.equal(events[1]?.org_id, orgId);
      assert.equal(
        await completeLaunch(handle.db, sealer, launchRef(id), tokens('1'), 'r'),
        false,
        'a failed launch stays failed',
      );

      const ready = await start('req-r');
      await completeLaunch(handle.db, sealer, launchRef(ready.id), tokens('12724066'), 'r');
      await failLaunch(handle.db, ready.id, { code: 'token_exchange_failed', requestId: 'late' });
      const kept = await handle.db
        .selectFrom('ehr_launch')
        .select(['status', 'error_code'])
        .where('id', '=', ready.id)
        .executeTakeFirst();
      assert.deepEqual(kept, { status: 'ready', error_code: null });
      assert.deepEqual(
        (await audit(ready.id)).map((event) => event.action),
        ['launch.started', 'launch.ready'],
      );
    });

    describe('the webhook outbox, written with the launch change', () => {
      const deliveries = (launchId: string) =>
        handle.db
          .selectFrom('webhook_delivery')
          .selectAll()
          .where('launch_id', '=', launchId)
          .orderBy('endpoint_id')
          .execute();
      const addEndpoint = async (org: string, events?: string) =>
        (
          await addWebhookEndpoint(
            { db: handle.db, sealer, config: { mode: 'test', allowPrivateUpstreams: NO_ADDRESS_RANGES } },
            org,
            { url: 'http://127.0.0.1:9/hook', events, actor: 'test' },
          )
        ).id;
      let everything: string;
      let failuresOnly: string;
      before(async () => {
        everything = await addEndpoint(orgId);
        failuresOnly = await addEndpoint(orgId, 'launch.failed,launch.refresh_failed');
        const otherOrg = (await createOrganization(handle.db, { name: 'Other Clinic' })).id;
        await addEndpoint(otherOrg);
      });

      it('a ready launch owes launch.ready to the endpoints subscribed to it, of its org only', async () => {
        const { id } = await start('req-hook-ready');
        assert.equal(await completeLaunch(handle.db, sealer, launchRef(id), tokens('12724066'), 'r'), true);
        const rows = await deliveries(id);
        assert.deepEqual(
          rows.map((row) => [
            row.endpoint_id,
            row.event_type,
            row.org_id,
            row.environment,
            row.launch_status,
          ]),
          [[everything, 'launch.ready', orgId, 'sandbox', 'ready']],
        );
        const [row] = rows;
        assert.equal(row?.status, 'pending');
        assert.equal(Number(row?.attempts), 0);
        assert.match(row?.message_id ?? '', /^msg_[0-9A-Za-z]{22}$/);
        assert.equal(row?.next_attempt_at, row?.occurred_at);
        assert.equal(await completeLaunch(handle.db, sealer, launchRef(id), tokens('1'), 'again'), false);
        assert.equal((await deliveries(id)).length, 1, 'a launch no longer pending owes nothing more');
      });

      it('a failed launch owes launch.failed with its code, one webhook-id for every endpoint', async () => {
        const { id } = await start('req-hook-fail');
        await failLaunch(handle.db, id, { code: 'token_exchange_failed', requestId: 'f' });
        await failLaunch(handle.db, id, { code: 'oauth_error', requestId: 'f2' });
        const rows = await deliveries(id);
        assert.deepEqual(
          rows.map((row) => [row.endpoint_id, row.event_type, row.launch_status, row.code]).sort(),
          [
            [everything, 'launch.failed', 'failed', 'token_exchange_failed'],
            [failuresOnly, 'launch.failed', 'failed', 'token_exchange_failed'],
          ].sort(),
        );
        assert.equal(new Set(rows.map((row) => row.message_id)).size, 1);
      });

      it('ending a ready launch owes launch.ended (sweeper) or launch.refresh_failed (lifecycle)', async () => {
        const old = await start('req-old');
        await completeLaunch(handle.db, sealer, launchRef(old.id), tokens('1'), 'r');
        const refused = await start('req-refused');
        await completeLaunch(handle.db, sealer, launchRef(refused.id), tokens('1'), 'r');
        const ended = await endLaunch(handle.db, refused.id, {
          from: 'ready',
          status: 'refresh_failed',
          reason: 'refresh_refused',
          actor: 'test',
        });
        assert.ok(ended, 'ended, with the tokens it deleted');
        await handle.db
          .updateTable('ehr_launch')
          .set({ created_at: '2000-01-01T00:00:00.000Z' })
          .where('id', '=', old.id)
          .execute();
        await sweepLaunches(handle.db, { maxSessionAgeSeconds: 60 });
        const fields = (row: {
          event_type: string;
          launch_status: string | null;
          code: string | null;
          reason: string | null;
        }) => [row.event_type, row.launch_status, row.code, row.reason];
        assert.deepEqual(
          (await deliveries(old.id)).filter((row) => row.event_type !== 'launch.ready').map(fields),
          [['launch.ended', 'expired', null, 'max_session_age']],
        );
        assert.deepEqual(
          (await deliveries(refused.id)).filter((row) => row.endpoint_id === failuresOnly).map(fields),
          [['launch.refresh_failed', 'refresh_failed', 'token_unavailable', 'refresh_refused']],
        );
      });

      it('an org without endpoints owes nothing; its first launch after one is added (elsewhere) owes it', async () => {
        const quietOrg = (await createOrganization(handle.db, { name: 'Quiet Clinic' })).id;
        const quietLaunch = async (requestId: string) => {
          const { id } = await startLaunch(handle.db, quietOrg, sourceId, requestId);
          assert.equal(
            await completeLaunch(
              handle.db,
              sealer,
              { id, orgId: quietOrg, fhirSourceId: sourceId },
              tokens('1'),
              'r',
            ),
            true,
          );
          return id;
        };
        const before = await quietLaunch('req-quiet-1');
        assert.deepEqual(await deliveries(before), []);
        // Another process (the CLI's `webhook add`) adds the endpoint: a handle of its own.
        const elsewhere = openDatabase(database.url);
        let endpoint: string;
        try {
          endpoint = (
            await addWebhookEndpoint(
              {
                db: elsewhere.db,
                sealer,
                config: { mode: 'test', allowPrivateUpstreams: NO_ADDRESS_RANGES },
              },
              quietOrg,
              { url: 'http://127.0.0.1:9/hook', actor: 'test' },
            )
          ).id;
        } finally {
          await elsewhere.close();
        }
        const afterwards = await quietLaunch('req-quiet-2');
        assert.deepEqual(
          (await deliveries(afterwards)).map((row) => [row.endpoint_id, row.event_type, row.org_id]),
          [[endpoint, 'launch.ready', quietOrg]],
        );
        assert.deepEqual(await deliveries(before), [], 'nothing is owed for a launch before the endpoint');
      });

      it('without its outbox the launch write fails whole: the launch stays pending', async () => {
        const { id } = await start('req-atomic');
        await sql`alter table webhook_delivery rename to webhook_delivery_away`.execute(handle.db);
        try {
          await assert.rejects(completeLaunch(handle.db, sealer, launchRef(id), tokens('1'), 'r'));
          await assert.rejects(failLaunch(handle.db, id, { code: 'oauth_error', requestId: 'x' }));
        } finally {
          await sql`alter table webhook_delivery_away rename to webhook_delivery`.execute(handle.db);
        }
        assert.equal((await findLaunch(handle.db, id))?.status, 'pending');
        assert.equal(await completeLaunch(handle.db, sealer, launchRef(id), tokens('1'), 'r'), true);
        assert.equal((await deliveries(id)).length, 1);
      });
    });

    it('a state is taken by exactly one of many concurrent callbacks', async () => {
      const { id, state } = await start('req-race');
      const taken = await Promise.all(
        Array.from({ length: 8 }, () => consumeLaunchState(handle.db, sealer, state)),
      );
      assert.deepEqual(
        taken.filter(Boolean).map((pending) => pending?.launchId),
        [id],
      );
    });

    function launchRef(id: string) {
      return { id, orgId, fhirSourceId: sourceId };
    }
  });
}

describe('launch writes as named prepared statements (postgres)', () => {
  let database: TestDatabase;
  const sourceId = 'fhirsrc_prepared';
  before(async () => {
    database = await createTestDatabase('postgres');
    const setup = openDatabase(database.url);
    await migrateToLatest(setup);
    await insertFhirSource(setup.db, sourceId, 'https://ehr.example/fhir');
    await setup.close();
  });
  after(() => database.drop());

  /** One launch written and taken on a single connection; the names that connection prepared. */
  async function launchOnOneConnection(handle: DatabaseHandle, orgId: string) {
    return handle.db.connection().execute(async (connection) => {
      const { id, state } = await startLaunch(connection, orgId, sourceId, 'req');
      assert.equal((await consumeLaunchState(connection, sealer, state))?.launchId, id);
      assert.equal(
        await completeLaunch(
          connection,
          sealer,
          { id, orgId, fhirSourceId: sourceId },
          tokens('12724066'),
          'r',
        ),
        true,
      );
      const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(
        connection,
      );
      return rows.map((row) => row.name);
    });
  }

  it('prepares the start, the state take and the completion once per connection, by name', async () => {
    const handle = openDatabase(database.url, { preparedStatements: true });
    try {
      const orgId = (await createOrganization(handle.db, { name: 'Prepared' })).id;
      const names = await launchOnOneConnection(handle, orgId);
      assert.equal(names.filter((name) => name.startsWith('chartside_')).length, 3, names.join(', '));
    } finally {
      await handle.close();
    }
  });

  it('keeps working when a migration adds a column under a prepared statement', async () => {
    const handle = openDatabase(database.url, { preparedStatements: true, poolSize: 1 });
    try {
      const orgId = (await createOrganization(handle.db, { name: 'Migrated' })).id;
      await launchOnOneConnection(handle, orgId);
      await sql`alter table launch_state add column later_column text`.execute(handle.db);
      await sql`alter table ehr_launch add column later_column text`.execute(handle.db);
      const names = await launchOnOneConnection(handle, orgId);
      assert.ok(names.some((name) => name.startsWith('chartside_')));
    } finally {
      await sql`alter table launch_state drop column if exists later_column`
        .execute(handle.db)
        .catch(() => {});
      await handle.close();
    }
  });

  it('sends plain statements when turned off (a pooler that cannot keep prepared statements)', async () => {
    const handle = openDatabase(database.url, { preparedStatements: false });
    try {
      const orgId = (await createOrganization(handle.db, { name: 'Plain' })).id;
      assert.deepEqual(await launchOnOneConnection(handle, orgId), []);
    } finally {
      await handle.close();
    }
  });
});

describe('CHARTSIDE_PG_PREPARED_STATEMENTS on a whole gateway (postgres)', () => {
  /**
   * The prepared statement names on every connection of `db`'s pool (10, app.ts opens it with
   * openDatabase's default): all of them held at once, so each answer comes from another one.
   */
  async function preparedOnEveryConnection(db: Db, poolSize = 10): Promise<string[]> {
    let arrived = 0;
    let allHeld = () => {};
    const held = new Promise<void>((resolve) => {
      allHeld = resolve;
    });
    const names = await Promise.all(
      Array.from({ length: poolSize }, () =>
        db.connection().execute(async (connection) => {
          const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(
            connection,
          );
          arrived += 1;
          if (arrived === poolSize) allHeld();
          await held;
          return rows.map((row) => row.name);
        }),
      ),
    );
    return [...new Set(names.flat())].sort();
  }

  const cases: { name: string; env: Record<string, string>; prepared: string[] }[] = [
    {
      // The app page the launch lands on reads the context, which writes one audit row.
      name: 'unset (on): a launch ends ready, its three writes and the audit row prepared by name',
      env: {},
      prepared: [
        'chartside_complete_launch',
        'chartside_insert_audit_event',
        'chartside_start_launch',
        'chartside_take_launch_state',
      ],
    },
    {
      name: 'false (a pooler in transaction mode): a launch ends ready and nothing is prepared',
      env: { CHARTSIDE_PG_PREPARED_STATEMENTS: 'false' },
      prepared: [],
    },
  ];
  for (const { name, env, prepared } of cases) {
    it(name, async () => {
      const stack = await startStack({ engine: 'postgres', env });
      try {
        const launchId = launchIdFrom((await driveLaunch(stack)).callbackResponse);
        assert.equal((await findLaunch(stack.gateway.services.db, launchId))?.status, 'ready');
        assert.deepEqual(await preparedOnEveryConnection(stack.gateway.services.db), prepared);
      } finally {
        await stack.close();
      }
    });
  }
});
