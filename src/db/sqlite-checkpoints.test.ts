import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { type DatabaseHandle, migrateToLatest, openDatabase } from './index.ts';

describe('SQLite checkpoints in the background (the server’s connection)', () => {
  let folder: string;
  let file: string;
  let handle: DatabaseHandle;
  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'chartside-checkpoints-'));
    file = join(folder, 'chartside.db');
    handle = openDatabase(`sqlite:${file}`, { backgroundCheckpoints: true });
    await migrateToLatest(handle);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('commits never checkpoint on the event loop; the worker moves the WAL into the database file', async () => {
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(handle.db);
    assert.equal(rows[0]?.wal_autocheckpoint, 0, 'no automatic checkpoint on this connection');

    const sizeBefore = statSync(file).size;
    for (let i = 0; i < 300; i++) {
      await handle.db
        .insertInto('audit_event')
        .values({
          at: new Date().toISOString(),
          actor: 'test',
          action: 'test.write',
          details: 'x'.repeat(2000),
        })
        .execute();
    }
    // Only a checkpoint writes pages into the database file; the worker runs every 200 ms.
    for (let waited = 0; statSync(file).size <= sizeBefore && waited < 5000; waited += 50) await sleep(50);
    assert.ok(statSync(file).size > sizeBefore + 300 * 2000, 'the rows reached the database file');
  });

  it('closes cleanly, worker included, and the data is all there when reopened', async () => {
    await handle.close();
    const reopened = openDatabase(`sqlite:${file}`);
    try {
      const { count } = await reopened.db
        .selectFrom('audit_event')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('action', '=', 'test.write')
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), 300);
    } finally {
      await reopened.close();
    }
  });
});
