/** `chartside audit`: an org's trail, filtered by launch and time, as text or one JSON object. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AuditEventView } from '../src/audit/audit-list.ts';
import { recordAudit } from '../src/audit/audit-log.ts';
import { auditCommand } from '../src/cli/audit-command.ts';
import { CliUsageError, exitCodeFor } from '../src/cli/cli-errors.ts';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { capturedIo } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

describe('chartside audit', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let orgId: string;
  const launchA = '5f0c8a3e-1b2c-4d5e-8f90-123456789abc';

  before(async () => {
    database = await createTestDatabase('sqlite');
    env = {
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      CHARTSIDE_DATA_DIR: database.folder as string,
    };
    const handle = openDatabase(database.url);
    await migrateToLatest(handle);
    orgId = (await createOrganization(handle.db, { name: 'Audited Clinic' })).id;
    const other = await createOrganization(handle.db, { name: 'Other' });
    const at = (iso: string) => new Date(iso);
    await recordAudit(
      handle.db,
      { action: 'launch.ready', actor: 'ehr', orgId, launchId: launchA },
      at('2026-06-01T10:00:00Z'),
    );
    await recordAudit(
      handle.db,
      {
        action: 'fhir.request',
        actor: 'api_key:AbCdEfGhIjKl',
        orgId,
        launchId: launchA,
        requestId: 'req-1',
        details: { method: 'GET', resource_type: 'Patient', status: 200, search: 'name=Smith Jones' },
      },
      at('2026-06-02T10:00:00Z'),
    );
    await recordAudit(
      handle.db,
      { action: 'launch.ready', actor: 'ehr', orgId, launchId: 'other-launch' },
      at('2026-06-03T10:00:00Z'),
    );
    await recordAudit(
      handle.db,
      { action: 'launch.ready', actor: 'ehr', orgId: other.id },
      at('2026-06-03T10:00:00Z'),
    );
    await handle.close();
  });
  after(() => database.drop());

  async function audit(...args: string[]): Promise<string> {
    const io = capturedIo(env);
    assert.equal(await auditCommand(args, io), 0);
    return io.stdout().trimEnd();
  }

  it('--json prints one object with the org’s events, oldest first, details parsed', async () => {
    const { events } = JSON.parse(await audit('--org', orgId, '--json')) as { events: AuditEventView[] };
    assert.deepEqual(
      events.map((event) => [event.action, event.launch_id]),
      [
        ['launch.ready', launchA],
        ['fhir.request', launchA],
        ['launch.ready', 'other-launch'],
      ],
    );
    assert.deepEqual(events[1]?.details, {
      method: 'GET',
      resource_type: 'Patient',
      status: 200,
      search: 'name=Smith Jones',
    });
  });

  it('filters by --launch and --since', async () => {
    const { events } = JSON.parse(
      await audit('--org', orgId, '--launch', launchA, '--since', '2026-06-02', '--json'),
    ) as {
      events: AuditEventView[];
    };
    assert.deepEqual(
      events.map((event) => event.request_id),
      ['req-1'],
    );
  });

  it('prints one line per event without --json', async () => {
    const lines = (await audit('--org', orgId, '--launch', launchA)).split('\n');
    assert.equal(lines.length, 2);
    assert.equal(
      lines[1],
      `2026-06-02T10:00:00.000Z  fhir.request  api_key:AbCdEfGhIjKl  launch=${launchA}  request=req-1  method=GET  resource_type=Patient  status=200  search="name=Smith Jones"`,
    );
  });

  it('refuses bad input with exit code 2', async () => {
    for (const args of [[], ['--org', orgId, '--since', 'yesterday'], ['--org', orgId, '--limit', '0']]) {
      await assert.rejects(auditCommand(args, capturedIo(env)), (error: unknown) => {
        assert.ok(error instanceof CliUsageError, String(error));
        return exitCodeFor(error) === 2;
      });
    }
    await assert.rejects(
      auditCommand(['--org', 'org_missing'], capturedIo(env)),
      (error: unknown) => exitCodeFor(error) === 2,
    );
  });
});
