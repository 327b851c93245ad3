/** `chartside cds-issuer add`: trusting an EHR's CDS Hooks client for an org, from the command line. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertBadInput, cliEnvironment, runChartside } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

describe('chartside cds-issuer add', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let orgId: string;

  before(async () => {
    database = await createTestDatabase('sqlite');
    env = cliEnvironment(database);
    const org = await runChartside(env, ['org', 'create', '--name', 'CDS Clinic', '--json']);
    assert.equal(org.code, 0, org.stderr);
    orgId = (JSON.parse(org.stdout) as { id: string }).id;
  });
  after(() => database.drop());

  it('adds a trusted issuer with its JWKS URL and jku allowlist, and prints the CDS Hooks URL', async () => {
    const args = ['cds-issuer', 'add', '--org', orgId, '--issuer', 'https://cds-hooks.cerner.com'];
    const result = await runChartside(env, [
      ...args,
      '--jwks-url',
      'https://authorization.cerner.com/jwk',
      '--jku',
      'https://a.example/jwk',
      '--jku',
      'https://b.example/jwk',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(out.issuer, 'https://cds-hooks.cerner.com');
    assert.equal(out.jwks_url, 'https://authorization.cerner.com/jwk');
    assert.deepEqual(out.jku_allowlist, ['https://a.example/jwk', 'https://b.example/jwk']);

    const text = await runChartside(env, [
      ...args.slice(0, 4),
      '--issuer',
      'https://other.example',
      '--jwks-url',
      'https://other.example/jwk',
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      new RegExp(`CDS Hooks URL: https://gw.example.org/api/cds/${orgId}/cds-services`),
    );

    assertBadInput(
      await runChartside(env, [...args, '--jwks-url', 'https://authorization.cerner.com/jwk']),
      /already trusted/,
    );
    assertBadInput(await runChartside(env, [...args, '--jwks-url', 'not a url']), /jwks_url/);
    assertBadInput(
      await runChartside(env, ['cds-issuer', 'add', '--org', orgId, '--issuer', 'x']),
      /--jwks-url/,
    );
  });
});
