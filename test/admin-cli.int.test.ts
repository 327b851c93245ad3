/** `chartside admin create --email E --password-stdin [--org ID] [--json]` as scripts call it. */
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

  it('refuses to guess the organization when there is none', async () => {
    const result = await chartside(
      ['admin', 'create', '--email', 'a@b.example', '--password-stdin'],
      'long enough password\n',
    );
    assertBadInput(result, /no organization yet: run chartside org create first/);
  });

  it('creates an operator from a password on stdin, printing one JSON object with --json', async () => {
    const org = await chartside(['org', 'create', '--name', 'Clinic', '--json']);
    const orgId = JSON.parse(org.stdout).id as string;
    const result = await chartside(
      ['admin', 'create', '--email', 'Ann@Clinic.Example', '--password-stdin', '--json'],
      'correct horse battery staple\n',
    );
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, string>;
    assert.match(out.id as string, /^op_[A-Za-z0-9]{22}$/);
    assert.deepEqual(
      { email: out.email, org: out.org, sign_in_url: out.sign_in_url },
      { email: 'ann@clinic.example', org: orgId, sign_in_url: 'https://gw.example.org/admin/sign-in' },
    );
    assert.ok(!result.stdout.includes('horse'));

    const handle = openDatabase(database.url, { poolSize: 1 });
    try {
      await migrateToLatest(handle);
      const row = await handle.db
        .selectFrom('operator')
        .selectAll()
        .where('id', '=', out.id as string)
        .executeTakeFirstOrThrow();
      assert.equal(row.org_id, orgId);
      assert.equal(await verifyPassword('correct horse battery staple', row.password_hash), true);
      const audit = await handle.db
        .selectFrom('audit_event')
        .select(['actor', 'org_id'])
        .where('action', '=', 'operator.created')
        .execute();
      assert.deepEqual(audit, [{ actor: 'cli', org_id: orgId }]);
    } finally {
      await handle.close();
    }
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

  it('asks for --org once there is more than one organization', async () => {
    await chartside(['org', 'create', '--name', 'Second clinic']);
    const result = await chartside(
      ['admin', 'create', '--email', 'd@clinic.example', '--password-stdin'],
      'long enough password',
    );
    assertBadInput(result, /--org is required when there is more than one organization/);
  });
});
