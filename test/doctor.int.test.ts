/**
 * `chartside doctor --org ID [--json]` as scripts call it: the real command against a test
 * database, whose PUBLIC_URL (https://gw.example.org) does not answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSealer } from '../src/crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../src/db/index.ts';
import { GO_LIVE_CHECKS } from '../src/go-live/checks.ts';
import { ensureSigningKeys } from '../src/keys/signing-keys.ts';
import { setConnection } from '../src/settings/connections.ts';
import { addFhirSource } from '../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../src/settings/org-links.ts';
import { createOrganization } from '../src/settings/organizations.ts';
import { assertBadInput, cliEnvironment, runChartside } from './support/cli.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';

interface Report {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

describe('chartside doctor', () => {
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let orgId: string;

  before(async () => {
    database = await createTestDatabase('sqlite');
    // A short outbound timeout: whatever the network does, the run ends quickly.
    env = { ...cliEnvironment(database), CHARTSIDE_HTTP_TIMEOUT_MS: '500' };
    const handle = openDatabase(database.url, { poolSize: 1 });
    try {
      await migrateToLatest(handle);
      const sealer = createSealer(Buffer.from(env.CHARTSIDE_MASTER_KEY as string, 'base64'));
      await ensureSigningKeys(handle.db, sealer);
      orgId = (await createOrganization(handle.db, { name: 'Doctor Clinic' })).id;
      // A production tenant on a private address literal: refused before any connection is made.
      const source = await addFhirSource(handle.db, {
        iss: 'https://10.9.8.7/fhir/r4/tenant',
        vendor: 'cerner',
        environment: 'production',
        name: 'Hospital tenant',
      });
      await linkOrgToSource(handle.db, { orgId, sourceId: source.id, actor: 'test' });
      await setConnection(handle.db, sealer, { mode: 'production' }, orgId, 'cerner', {
        appLaunchUrl: 'https://app.doctor-clinic.com/launch',
        useCustomCredentials: true,
        clientId: 'prod-client',
        authMethod: 'private_key_jwt',
      });
    } finally {
      await handle.close();
    }
  });
  after(() => database.drop());

  it('--json: one object with every check, in order; exit 1 because PUBLIC_URL does not answer', async () => {
    const started = Date.now();
    const result = await runChartside(env, ['doctor', '--org', orgId, '--json']);
    const elapsed = Date.now() - started;
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, '');
    const report = JSON.parse(result.stdout) as Report;
    assert.deepEqual(Object.keys(report).sort(), ['checks', 'ok']);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.map((check) => check.name),
      [...GO_LIVE_CHECKS],
    );
    for (const check of report.checks) {
      assert.deepEqual(Object.keys(check).sort(), ['detail', 'name', 'ok']);
      assert.equal(typeof check.detail, 'string');
      assert.ok(check.detail.length > 0, check.name);
    }
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    assert.equal(byName.public_url_https?.ok, true);
    assert.equal(byName.public_url_answers?.ok, false);
    assert.match(
      byName.public_url_answers?.detail ?? '',
      /^GET https:\/\/gw\.example\.org\/health failed: (could not reach https:\/\/gw\.example\.org( \([A-Z0-9_]+\))?|no answer from https:\/\/gw\.example\.org within 500 ms)\. Is this gateway running behind PUBLIC_URL/,
    );
    assert.equal(byName.jwks_reachable?.ok, false);
    assert.equal(byName.production_sources_discovery?.ok, false);
    assert.match(
      byName.production_sources_discovery?.detail ?? '',
      /Hospital tenant .*private or local network/,
    );
    assert.equal(byName.production_credentials?.ok, true, byName.production_credentials?.detail);
    assert.equal(byName.app_launch_url?.ok, true, byName.app_launch_url?.detail);
    assert.equal(byName.launch_uri?.ok, true);
    assert.ok(byName.launch_uri?.detail.includes(`https://gw.example.org/api/auth/smart/launch/${orgId}`));
    // Three outbound checks at 500 ms each, run together, plus the process start.
    assert.ok(elapsed < 15_000, `finished in ${elapsed} ms`);
  });

  it('text: one ✓/✗ line per check and a summary; exit 1', async () => {
    const result = await runChartside(env, ['doctor', '--org', orgId]);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, GO_LIVE_CHECKS.length + 1, result.stdout);
    GO_LIVE_CHECKS.forEach((name, i) => {
      assert.match(lines[i] as string, new RegExp(`^[✓✗] ${name}: \\S`));
    });
    assert.match(lines[0] as string, /^✓ public_url_https: /);
    assert.match(lines[1] as string, /^✗ public_url_answers: /);
    assert.equal(lines.at(-1), '4 of 7 checks pass: not ready for production yet.');
  });

  it('without --org: exit 2 with one line', async () => {
    assertBadInput(await runChartside(env, ['doctor', '--json']), /--org is required/);
  });

  it('an unknown org: exit 2 with one line, nothing on stdout', async () => {
    const result = await runChartside(env, ['doctor', '--org', 'org_nope', '--json']);
    assertBadInput(result, /^chartside: No organization org_nope\./);
    assert.equal(result.stdout, '');
  });
});
