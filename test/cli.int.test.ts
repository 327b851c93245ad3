/** The chartside command as outside scripts use it: --json output, exit codes, one-line reasons. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/chartside.js', import.meta.url));

describe('chartside admin commands', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
      CHARTSIDE_DATA_DIR: database.folder as string,
      PUBLIC_URL: 'https://gw.example.org',
    };
  });
  after(() => database.drop());

  async function chartside(...args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  function assertBadInput(result: { code: number; stderr: string }, reason: RegExp) {
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${result.stderr}`);
    assert.match(lines[0] as string, reason);
  }

  it('sets up an org end to end with --json, each command printing one JSON object', async () => {
    const org = await chartside('org', 'create', '--name', 'St. Example Hospital', '--json');
    assert.equal(org.code, 0, org.stderr);
    const { id: orgId } = JSON.parse(org.stdout) as { id: string };
    assert.match(orgId, /^org_[A-Za-z0-9]{22}$/);

    const source = await chartside(
      'source',
      'add',
      '--iss',
      'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d',
      '--vendor',
      'cerner',
      '--environment',
      'sandbox',
      '--json',
    );
    assert.equal(source.code, 0, source.stderr);
    assert.match(JSON.parse(source.stdout).id, /^fhirsrc_/);

    const connection = await chartside(
      'connection',
      'set',
      '--org',
      orgId,
      '--vendor',
      'cerner',
      '--app-launch-url',
      'https://app.example.org/launch',
      '--custom-credentials',
      'on',
      '--client-id',
      '52f33973-0000-4000-8000-000000000000',
      '--auth-method',
      'private_key_jwt',
      '--json',
    );
    assert.equal(connection.code, 0, connection.stderr);
    assert.equal(
      JSON.parse(connection.stdout).scopes,
      'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access',
    );

    const key = await chartside('apikey', 'create', '--org', orgId, '--json');
    assert.equal(key.code, 0, key.stderr);
    const created = JSON.parse(key.stdout) as { id: string; key: string };
    assert.match(created.key, /^cs_sk_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    assert.ok(created.id);

    const human = await chartside('org', 'create', '--name', 'Second');
    assert.equal(human.code, 0);
    assert.match(
      human.stdout,
      /SMART Launch URI: https:\/\/gw\.example\.org\/api\/auth\/smart\/launch\/org_/,
    );
  });

  it('refuses bad input with exit 2 and a one-line reason', async () => {
    const org = JSON.parse((await chartside('org', 'create', '--name', 'Checks', '--json')).stdout) as {
      id: string;
    };
    assertBadInput(
      await chartside('connection', 'set', '--org', 'org_missing', '--vendor', 'cerner'),
      /No organization org_missing/,
    );
    assertBadInput(
      await chartside(
        'source',
        'add',
        '--iss',
        'not a url',
        '--vendor',
        'cerner',
        '--environment',
        'sandbox',
      ),
      /iss must be an absolute URL/,
    );
    assertBadInput(
      await chartside(
        'source',
        'add',
        '--iss',
        'https://ehr.example/fhir',
        '--vendor',
        'cerner',
        '--environment',
        'staging',
      ),
      /environment must be one of sandbox, production/,
    );
    assertBadInput(
      await chartside(
        'source',
        'add',
        '--iss',
        'https://ehr.example/fhir',
        '--vendor',
        'allscripts',
        '--environment',
        'sandbox',
      ),
      /vendor must be one of/,
    );
    assertBadInput(
      await chartside(
        'source',
        'add',
        '--iss',
        'http://ehr.example/fhir',
        '--vendor',
        'cerner',
        '--environment',
        'production',
      ),
      /must use https/,
    );
    const addDuplicate = [
      'source',
      'add',
      '--iss',
      'https://dup.example/fhir',
      '--vendor',
      'cerner',
      '--environment',
      'production',
    ];
    assert.equal((await chartside(...addDuplicate)).code, 0);
    assertBadInput(await chartside(...addDuplicate), /already exists/);
    assertBadInput(
      await chartside(
        'connection',
        'set',
        '--org',
        org.id,
        '--vendor',
        'cerner',
        '--custom-credentials',
        'on',
      ),
      /client_id is required/,
    );
    assertBadInput(
      await chartside(
        'connection',
        'set',
        '--org',
        org.id,
        '--vendor',
        'cerner',
        '--app-launch-url',
        'ftp://x',
      ),
      /app_launch_url must use https/,
    );
    assertBadInput(
      await chartside(
        'connection',
        'set',
        '--org',
        org.id,
        '--vendor',
        'cerner',
        '--scopes',
        'launch patient/*.read',
      ),
      /Wildcard/,
    );
    assertBadInput(
      await chartside('connection', 'set', '--org', org.id, '--vendor', 'cerner', '--cds-caching', 'maybe'),
      /--cds-caching must be on or off/,
    );
    assertBadInput(await chartside('apikey', 'create', '--org', 'org_missing'), /No organization/);
    assertBadInput(await chartside('org', 'create'), /name is required/);
    assertBadInput(await chartside('org', 'create', '--name', 'x', '--bogus'), /Unknown option/);
    assertBadInput(await chartside('frobnicate'), /unknown command/);
  });

  it('refuses a bad environment value before touching the database', async () => {
    const result = await run(process.execPath, [bin, 'org', 'create', '--name', 'x'], {
      env: { ...env, CHARTSIDE_ENV: 'production', PUBLIC_URL: '', CHARTSIDE_MASTER_KEY: '' },
    }).catch((error: { code: number; stderr: string }) => error);
    assertBadInput(result as { code: number; stderr: string }, /PUBLIC_URL is required in production/);
    assertBadInput(
      await chartside('sandbox', '--client-id', 'c', '--launch-uri', 'http://localhost/x'),
      /redirect-uri/,
    );
    const serve = await run(process.execPath, [bin, 'serve'], { env: { ...env, PORT: 'eighty' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    assertBadInput(serve as { code: number; stderr: string }, /PORT must be a whole number/);
  });
});
