/** The chartside command as outside scripts use it: --json output, exit codes, one-line reasons. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { createSealer } from '../src/crypto/sealing.ts';
import { openDatabase } from '../src/db/index.ts';
import { findConnectionAndClient } from '../src/settings/connections.ts';
import { assertBadInput, cliEnvironment, runChartside, runChartsideProcess } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

describe('chartside admin commands', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnvironment(database);
  });
  after(() => database.drop());

  const chartside = (...args: string[]) => runChartside(env, args);

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
    const created = JSON.parse(key.stdout) as { id: string; key: string; environment: string };
    assert.match(created.key, /^cs_test_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    assert.equal(created.environment, 'sandbox', 'sandbox unless asked');
    assert.ok(created.id);
    const live = await chartside('apikey', 'create', '--org', orgId, '--environment', 'production', '--json');
    assert.equal(live.code, 0, live.stderr);
    const liveKey = JSON.parse(live.stdout) as { key: string; environment: string };
    assert.match(liveKey.key, /^cs_live_[A-Za-z0-9]{12}_[A-Za-z0-9]{40}$/);
    assert.equal(liveKey.environment, 'production');
    assertBadInput(
      await chartside('apikey', 'create', '--org', orgId, '--environment', 'staging'),
      /environment must be one of sandbox, production/,
    );

    const human = await chartside('org', 'create', '--name', 'Second');
    assert.equal(human.code, 0);
    assert.match(
      human.stdout,
      /SMART Launch URI: https:\/\/gw\.example\.org\/api\/auth\/smart\/launch\/org_/,
    );
  });

  it('org link / unlink: a production tenant belongs to one org, a sandbox one to many', async () => {
    const json = async (...args: string[]) => {
      const result = await chartside(...args, '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const a = (await json('org', 'create', '--name', 'Hospital A')).id as string;
    const b = (await json('org', 'create', '--name', 'Hospital B')).id as string;
    const production = (
      await json(
        'source',
        'add',
        '--iss',
        'https://fhir.a.example.org/r4/t',
        '--vendor',
        'cerner',
        '--environment',
        'production',
      )
    ).id as string;
    const sandbox = (
      await json(
        'source',
        'add',
        '--iss',
        'https://fhir.sandbox.example.org/r4/t',
        '--vendor',
        'cerner',
        '--environment',
        'sandbox',
      )
    ).id as string;

    assert.deepEqual(await json('org', 'link', '--org', a, '--source', production), {
      org: a,
      source: production,
      linked: true,
    });
    assert.deepEqual(
      await json('org', 'link', '--org', a, '--source', production),
      {
        org: a,
        source: production,
        linked: true,
      },
      'linking again is not an error',
    );
    assertBadInput(
      await chartside('org', 'link', '--org', b, '--source', production),
      /already linked to .*Unlink it first/,
    );
    for (const org of [a, b]) {
      assert.deepEqual(await json('org', 'link', '--org', org, '--source', sandbox), {
        org,
        source: sandbox,
        linked: true,
      });
    }
    assert.deepEqual(await json('org', 'unlink', '--org', a, '--source', production), {
      org: a,
      source: production,
      linked: false,
    });
    assert.deepEqual(
      (await json('org', 'link', '--org', b, '--source', production)).linked,
      true,
      'free again',
    );
    const text = await chartside('org', 'unlink', '--org', b, '--source', production);
    assert.match(text.stdout, /Unlinked .* launches from that tenant are refused/);

    assertBadInput(await chartside('org', 'link', '--org', a), /--org and --source are required/);
    assertBadInput(
      await chartside('org', 'link', '--org', a, '--source', 'fhirsrc_nope'),
      /No FHIR source fhirsrc_nope/,
    );
    assertBadInput(
      await chartside('org', 'link', '--org', 'org_nope', '--source', sandbox),
      /No organization org_nope/,
    );
  });

  it('connection set --environment: credentials per environment, both when omitted', async () => {
    const org = (
      JSON.parse((await chartside('org', 'create', '--name', 'Epic-ish', '--json')).stdout) as { id: string }
    ).id;
    const both = await chartside(
      'connection',
      'set',
      '--org',
      org,
      '--vendor',
      'cerner',
      '--custom-credentials',
      'on',
      '--client-id',
      'non-prod-id',
      '--json',
    );
    assert.equal(both.code, 0, both.stderr);
    const prod = await chartside(
      'connection',
      'set',
      '--org',
      org,
      '--vendor',
      'cerner',
      '--environment',
      'production',
      '--client-id',
      'prod-id',
      '--json',
    );
    assert.equal(prod.code, 0, prod.stderr);
    const credentials = (JSON.parse(prod.stdout) as { credentials: Record<string, { client_id: string }> })
      .credentials;
    assert.equal(credentials.sandbox?.client_id, 'non-prod-id');
    assert.equal(credentials.production?.client_id, 'prod-id');
    assertBadInput(
      await chartside(
        'connection',
        'set',
        '--org',
        org,
        '--vendor',
        'cerner',
        '--environment',
        'staging',
        '--client-id',
        'x',
      ),
      /environment must be one of sandbox, production/,
    );
  });

  it('connection set --vendor epic|smart: each vendor’s defaults, --signing-alg, --jku, SMART wildcards (issue 15)', async () => {
    const org = (
      JSON.parse((await chartside('org', 'create', '--name', 'Three EHRs', '--json')).stdout) as {
        id: string;
      }
    ).id;
    type Saved = {
      vendor: string;
      scopes: string;
      signing_alg: string;
      jku: boolean;
      credentials: Record<string, { auth_method: string; client_id: string | null }>;
    };
    const set = async (...args: string[]) => {
      const result = await chartside('connection', 'set', '--org', org, ...args, '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Saved;
    };
    const epic = await set('--vendor', 'epic', '--custom-credentials', 'on', '--client-id', 'epic-non-prod');
    assert.equal(epic.vendor, 'epic');
    assert.equal(
      epic.scopes,
      'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read offline_access',
    );
    assert.equal(
      epic.credentials.sandbox?.auth_method,
      'private_key_jwt',
      'Epic starts with JWT client auth',
    );
    assert.equal(epic.signing_alg, 'auto');
    assert.equal(epic.jku, false);
    const epicProd = await set('--vendor', 'epic', '--environment', 'production', '--client-id', 'epic-prod');
    assert.equal(epicProd.credentials.sandbox?.client_id, 'epic-non-prod');
    assert.equal(epicProd.credentials.production?.client_id, 'epic-prod');
    const signed = await set('--vendor', 'epic', '--signing-alg', 'ES384', '--jku', 'on');
    assert.deepEqual([signed.signing_alg, signed.jku], ['ES384', true]);
    assert.deepEqual([(await set('--vendor', 'epic', '--signing-alg', 'auto')).signing_alg], ['auto']);

    const smart = await set('--vendor', 'smart', '--scopes', 'openid fhirUser launch patient/*.rs user/*.rs');
    assert.equal(smart.scopes, 'openid fhirUser launch patient/*.rs user/*.rs', 'SMART defines wildcards');
    assertBadInput(
      await chartside('connection', 'set', '--org', org, '--vendor', 'epic', '--signing-alg', 'HS256'),
      /signing_alg must be one of auto, RS384, ES384/,
    );
    assertBadInput(
      await chartside('connection', 'set', '--org', org, '--vendor', 'epic', '--jku', 'yes'),
      /--jku must be on or off/,
    );
    assertBadInput(
      await chartside(
        'connection',
        'set',
        '--org',
        org,
        '--vendor',
        'smart',
        '--scopes',
        'user/Patient.read user/Patient.rs',
      ),
      /mix SMART v1/,
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

  it('takes the client secret on standard input, so it never shows in ps or shell history', async () => {
    const org = JSON.parse((await chartside('org', 'create', '--name', 'Stdin Clinic', '--json')).stdout) as {
      id: string;
    };
    const secret = 'secret-from-stdin-7f3a';
    const setArgs = [
      'connection',
      'set',
      '--org',
      org.id,
      '--vendor',
      'cerner',
      '--custom-credentials',
      'on',
      '--client-id',
      'client-1',
      '--auth-method',
      'client_secret_basic',
      '--client-secret-stdin',
    ];
    const saved = await runChartside(env, [...setArgs, '--json'], `${secret}\n`);
    assert.equal(saved.code, 0, saved.stderr);
    assert.ok(!saved.stdout.includes(secret) && !saved.stderr.includes(secret));

    const handle = openDatabase(env.DATABASE_URL as string);
    try {
      const sealer = createSealer(Buffer.from(env.CHARTSIDE_MASTER_KEY as string, 'base64'));
      const found = await findConnectionAndClient(
        handle.db,
        sealer,
        loadConfig(env),
        org.id,
        'cerner',
        'production',
      );
      assert.equal(found?.client?.openSecret(), secret);
      const row = await handle.db
        .selectFrom('connection_credential')
        .innerJoin('connection', 'connection.id', 'connection_credential.connection_id')
        .select('client_secret')
        .where('org_id', '=', org.id)
        .where('environment', '=', 'production')
        .executeTakeFirstOrThrow();
      assert.ok(row.client_secret && !row.client_secret.includes(secret), 'sealed at rest');
    } finally {
      await handle.close();
    }

    assertBadInput(await runChartside(env, setArgs, ''), /no client secret on standard input/);
    assertBadInput(
      await runChartside(env, [...setArgs, '--client-secret', 'also'], `${secret}\n`),
      /either on standard input or as --client-secret/,
    );
  });

  it('refuses a bad environment value before touching the database', async () => {
    const production = { ...env, CHARTSIDE_ENV: 'production', PUBLIC_URL: '', CHARTSIDE_MASTER_KEY: '' };
    assertBadInput(
      await runChartside(production, ['org', 'create', '--name', 'x']),
      /PUBLIC_URL is required in production/,
    );
    assertBadInput(
      await chartside('sandbox', '--client-id', 'c', '--launch-uri', 'http://localhost/x'),
      /redirect-uri/,
    );
    assertBadInput(await runChartside({ ...env, PORT: 'eighty' }, ['serve']), /PORT must be a whole number/);
  });

  /**
   * The tests above run the command line in-process (support/cli.ts); these start the real
   * binary, for what only a process shows: its exit status, and that stdout and stderr carry
   * nothing else.
   */
  describe('the chartside binary', () => {
    it('prints one JSON object on stdout and exits 0', async () => {
      const org = await runChartsideProcess(env, ['org', 'create', '--name', 'Process Clinic', '--json']);
      assert.equal(org.code, 0, org.stderr);
      assert.equal(org.stderr, '');
      assert.equal(org.stdout.trimEnd().split('\n').length, 1);
      assert.equal(JSON.parse(org.stdout).name, 'Process Clinic');
      const key = await runChartsideProcess(env, [
        'apikey',
        'create',
        '--org',
        JSON.parse(org.stdout).id,
        '--json',
      ]);
      assert.equal(key.code, 0, key.stderr);
      assert.match(JSON.parse(key.stdout).key, /^cs_test_/);
    });

    it('reads a secret from its standard input', async () => {
      const result = await runChartsideProcess(
        env,
        ['admin', 'create', '--email', 'ops@process.example', '--password-stdin', '--json'],
        'a long enough password\n',
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).email, 'ops@process.example');
    });

    it('exits 2 with one line on stderr for bad input, and 0 or 2 for help', async () => {
      assertBadInput(
        await runChartsideProcess(env, ['frobnicate']),
        /^chartside: unknown command "frobnicate"/,
      );
      assertBadInput(await runChartsideProcess(env, ['org', 'create']), /^chartside: .*name is required/);
      assertBadInput(
        await runChartsideProcess({ ...env, PORT: 'eighty' }, ['serve']),
        /^chartside: PORT must be a whole number/,
      );
      const help = await runChartsideProcess(env, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: chartside <command>/);
      const bare = await runChartsideProcess(env, []);
      assert.equal(bare.code, 2);
      assert.match(bare.stdout, /^Usage: chartside <command>/);
    });
  });
});
