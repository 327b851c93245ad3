/**
 * A PostgreSQL connection dropped under a running process (a restart, a failover): the process
 * lives on, the statement in flight fails as `database_unavailable` (503, not 500), and the next
 * statement works on a new connection. Before, the dropped connection's 'error' event went
 * unhandled and ended the whole gateway process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { toChartsideError } from '../errors/catalogue.ts';
import { type DatabaseHandle, openDatabase } from './index.ts';
import { isDatabaseUnavailable } from './unavailable.ts';

describe('a PostgreSQL connection dropped under a running process', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  before(async () => {
    database = await createTestDatabase('postgres');
    handle = openDatabase(database.url, { poolSize: 2 });
  });
  after(async () => {
    await handle?.close();
    await database?.drop();
  });

  const backendPid = async (db = handle.db) =>
    (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid;
  /** What `pg_ctl restart -m fast` does to each connection: the server terminates it. */
  async function terminate(pids: number[]): Promise<void> {
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [pids]);
    } finally {
      await admin.end();
    }
  }

  it('an idle pooled connection and one held by a transaction both drop without ending the process', async () => {
    const idlePid = await backendPid();
    let outcome: unknown = null;
    await handle.db
      .transaction()
      .execute(async (trx) => {
        const heldPid = await backendPid(trx);
        // Both connections are cut between two statements (the held one has no query in flight).
        await terminate([idlePid as number, heldPid as number]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await sql`select 1`.execute(trx);
      })
      .catch((error: unknown) => {
        outcome = error;
      });
    assert.ok(outcome instanceof Error, 'the statement on the dropped connection failed');
    assert.equal(isDatabaseUnavailable(outcome), true, String(outcome));
    const rendered = toChartsideError(outcome);
    assert.deepEqual([rendered.code, rendered.status], ['database_unavailable', 503]);
    // The pool discarded both and opens new connections.
    const [first, second] = await Promise.all([backendPid(), backendPid()]);
    assert.ok(first && second && ![first, second].includes(idlePid as number));
  });

  it('a refused connection is unavailable too; a bad statement is not', async () => {
    const closed = openDatabase('postgres://postgres@127.0.0.1:1/none', { poolSize: 1 });
    const refused = await sql`select 1`.execute(closed.db).catch((error: unknown) => error);
    await closed.close();
    assert.equal(isDatabaseUnavailable(refused), true, String(refused));
    const bad = await sql`select * from no_such_table`.execute(handle.db).catch((error: unknown) => error);
    assert.equal(isDatabaseUnavailable(bad), false);
    assert.equal(toChartsideError(bad).code, 'internal_error');
  });
});
