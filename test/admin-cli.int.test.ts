/**
 * `chartside admin create --email E --password-stdin [--org ID] [--json]` as scripts call it:
 * without --org a platform admin, with it an org operator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../src/admin/passwords.ts';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { assertBadInput, cliEnvironment, runChartside } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

describe('chartside admin create', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnvironment(database);
  });
  after(() => database.drop());

  const chartside = (args: string[], stdin = '') => runChartside(env, args, stdin);

  async function operatorRow(id: string) {
    const handle = openDatabase(database.url, { poolSize: 1 });
    try {
      await migrateToLatest(handle);
      const row = await handle.db
        .selectFrom('operator')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const audit = await handle.db
        .selectFrom('audit_event')
        .select(['actor', 'org_id', 'details'])
        .where('action', '=', 'operator.created')
        .execute();
      return { row, audit: audit.filter((event) => JSON.parse(event.details ?? '{}').id === id) };
    } finally {
      await handle.close();
    }
  }

  it('without --org: a platform admin, of no organization', async () => {
    const result = await chartside(
      ['admin', 'create', '--email', 'Root@Platform.Example', '--password-stdin', '--json'],
      'long enough password\n',
    );
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { email: out.email, org: out.org, role: out.role },
      { email: 'root@platform.example', org: null, role: 'platform_admin' },
    );
    const { row, audit } = await operatorRow(out.id as string);
    assert.equal(row.org_id, null);
    assert.equal(row.role, 'platform_admin');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, 'cli');
    const text = await chartside(
      ['admin', 'create', '--email', 'root2@platform.example', '--password-stdin'],
      'long enough password\n',
    );
    assert.match(text.stdout, /a platform admin/);
  });

  it('with --org: an org operator, printing one JSON object with --json', async () => {
    const org = await chartside(['org', 'create', '--name', 'Clinic', '--json']);
    const orgId = JSON.parse(org.stdout).id as string;
    const result = await chartside(
      ['admin', 'create', '--email', 'Ann@Clinic.Example', '--password-stdin', '--org', orgId, '--json'],
      'correct horse battery staple\n',
    );
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, string>;
    assert.match(out.id as string, /^op_[A-Za-z0-9]{22}$/);
    assert.deepEqual(
      { email: out.email, org: out.org, role: out.role, sign_in_url: out.sign_in_url },
      {
        email: 'ann@clinic.example',
        org: orgId,
        role: 'org_operator',
        sign_in_url: 'https://gw.example.org/admin/sign-in',
      },
    );
    assert.ok(!result.stdout.includes('horse'));
    const { row, audit } = await operatorRow(out.id as string);
    assert.equal(row.org_id, orgId);
    assert.equal(row.role, 'org_operator');
    assert.equal(await verifyPassword('correct horse battery staple', row.password_hash), true);
    assert.deepEqual(
      audit.map(({ actor, org_id }) => ({ actor, org_id })),
      [{ actor: 'cli', org_id: orgId }],
    );
  });

  it('exits 2 with a one-line reason on bad input', async () => {
    assertBadInput(
      await chartside(['admin', 'create', '--email', 'x@y.example']),
      /--password-stdin is required/,
    );
    assertBadInput(
      await chartside(['admin', 'create', '--password-stdin'], 'long enough password'),
      /--email is required/,
    );
    assertBadInput(
      await chartside(
        ['admin', 'create', '--email', 'not-an-email', '--password-stdin'],
        'long enough password',
      ),
      /Enter an email address/,
    );
    assertBadInput(
      await chartside(['admin', 'create', '--email', 'b@clinic.example', '--password-stdin'], 'short\n'),
      /at least 12 characters/,
    );
    assertBadInput(
      await chartside(['admin', 'create', '--email', 'b@clinic.example', '--password-stdin'], ''),
      /no password on standard input/,
    );
    assertBadInput(
      await chartside(
        ['admin', 'create', '--email', 'ann@clinic.example', '--password-stdin'],
        'another long password',
      ),
      /already exists/,
    );
    assertBadInput(
      await chartside(
        ['admin', 'create', '--email', 'c@clinic.example', '--password-stdin', '--org', 'org_nope'],
        'long enough password',
      ),
      /No organization org_nope/,
    );
    assertBadInput(await chartside(['admin', 'delete']), /unknown command "admin delete"/);
    assertBadInput(await chartside(['admin', 'create', '--password', 'x']), /Unknown option '--password'/);
  });
});
