/**
 * `/healthz` (liveness) and `/readyz` (readiness) as a load balancer sees them, on PostgreSQL:
 * tiny stable bodies, never cached, no API key, no audit rows, no request log lines; readiness
 * follows the database (down, back) and the migrations, and turns 503 when shutdown begins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from './support/databases.ts';
import { type Stack, startStack } from './support/stack.ts';

async function probe(stack: Stack, path: '/healthz' | '/readyz') {
  const response = await fetch(`${stack.gatewayUrl}${path}`);
  return { response, body: (await response.json()) as Record<string, unknown> };
}

async function asAdmin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

describe('health and readiness probes', () => {
  let stack: Stack;
  let databaseName: string;

  before(async () => {
    stack = await startStack({ engine: 'postgres' });
    databaseName = new URL(stack.database.url).pathname.slice(1);
  });
  after(async () => {
    await asAdmin(`alter database ${databaseName} allow_connections true`).catch(() => {});
    await stack?.close();
  });

  it('answer 200 with tiny bodies, no-store, without an API key, and write no audit rows', async () => {
    const audited = await stack.gateway.services.db.selectFrom('audit_event').select('id').execute();
    const live = await probe(stack, '/healthz');
    assert.equal(live.response.status, 200);
    assert.deepEqual(live.body, { status: 'ok' });
    assert.equal(live.response.headers.get('cache-control'), 'no-store');
    const ready = await probe(stack, '/readyz');
    assert.equal(ready.response.status, 200);
    assert.deepEqual(ready.body, { status: 'ready' });
    assert.equal(ready.response.headers.get('cache-control'), 'no-store');
    assert.ok(ready.response.headers.get('x-request-id'));
    const after = await stack.gateway.services.db.selectFrom('audit_event').select('id').execute();
    assert.equal(after.length, audited.length, 'no audit rows');
  });

  it('write no request log lines, while other requests do', async () => {
    const before = stack.logs.length;
    await Promise.all([
      probe(stack, '/healthz'),
      probe(stack, '/readyz'),
      fetch(`${stack.gatewayUrl}/health`),
    ]);
    const lines = stack.logs.slice(before).join('');
    assert.ok(lines.includes('"url":"/health"'), 'the ordinary request is logged');
    assert.ok(!lines.includes('/healthz') && !lines.includes('/readyz'), lines);
  });

  it('readiness says database_unavailable while PostgreSQL refuses connections, and recovers', async () => {
    await asAdmin(`alter database ${databaseName} allow_connections false`);
    await asAdmin(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${databaseName}' and pid <> pg_backend_pid()`,
    );
    const down = await probe(stack, '/readyz');
    assert.equal(down.response.status, 503);
    assert.deepEqual(down.body, { status: 'not_ready', reason: 'database_unavailable' });
    assert.equal(down.response.headers.get('cache-control'), 'no-store');
    const live = await probe(stack, '/healthz');
    assert.equal(live.response.status, 200, 'liveness does not depend on the database');
    assert.ok(
      stack.logs.some((line) => line.includes('"reason":"database_unavailable"')),
      'the transition is logged once',
    );

    await asAdmin(`alter database ${databaseName} allow_connections true`);
    const up = await probe(stack, '/readyz');
    assert.equal(up.response.status, 200);
    assert.deepEqual(up.body, { status: 'ready' });
  });

  it('readiness says migrations_pending when the schema is behind this code', async () => {
    const { db } = stack.gateway.services;
    await db
      .deleteFrom('kysely_migration' as never)
      .where('name' as never, '=', '0004-cds' as never)
      .execute();
    const behind = await probe(stack, '/readyz');
    assert.equal(behind.response.status, 503);
    assert.deepEqual(behind.body, { status: 'not_ready', reason: 'migrations_pending' });
    await db
      .insertInto('kysely_migration' as never)
      .values({ name: '0004-cds', timestamp: new Date().toISOString() } as never)
      .execute();
    assert.equal((await probe(stack, '/readyz')).response.status, 200);
  });

  it('readiness turns 503 shutting_down once shutdown begins; liveness and requests go on, connections close', async () => {
    stack.gateway.readiness.startShuttingDown();
    const ready = await probe(stack, '/readyz');
    assert.equal(ready.response.status, 503);
    assert.deepEqual(ready.body, { status: 'not_ready', reason: 'shutting_down' });
    assert.equal(ready.response.headers.get('connection'), 'close');
    const live = await probe(stack, '/healthz');
    assert.equal(live.response.status, 200);
    const context = await fetch(`${stack.gatewayUrl}/launch-contexts/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    assert.equal(context.status, 404, 'still served');
    assert.equal(context.headers.get('connection'), 'close', 'keep-alive ends with this response');
  });
});
