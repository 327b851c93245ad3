/**
 * One keypair for every environment (issue 12): `chartside keys export` on deployment A,
 * `chartside keys import` on deployment B (its own database and master key), over the real CLI
 * and real HTTP. B's EHR app registration names A's JWKS URL only, as when production's JWKS URL
 * is the one registered in Cerner Central: B's private_key_jwt launches succeed only because B
 * now signs with A's keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { callbackUrl, jwksUrl, launchUrl } from '../src/launch/urls.ts';
import { startSandbox } from '../src/sandbox/index.ts';
import { DEFAULT_FLAG_SCOPES } from '../src/sandbox/main.ts';
import { assertBadInput, runChartside } from './support/cli.ts';
import { driveLaunch, launchIdFrom } from './support/launch-driver.ts';
import { clearRecordedRequests, recordedRequests } from './support/sandbox-controls.ts';
import { type Stack, startStack } from './support/stack.ts';

const PASSPHRASE = 'one keypair for every environment';

/** The CLI environment of a deployment: its database and its master key. */
const cliEnvironment = (stack: Stack): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  CHARTSIDE_ENV: 'test',
  DATABASE_URL: stack.database.url,
  CHARTSIDE_MASTER_KEY: stack.gateway.services.config.masterKey.toString('base64'),
  PUBLIC_URL: stack.gateway.services.config.publicUrl,
});

const jwksKids = async (stack: Stack) => {
  const response = await fetch(`${stack.gatewayUrl}/api/auth/.well-known/jwks`);
  assert.equal(response.status, 200);
  const { keys } = (await response.json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid).sort();
};

/**
 * Register B's app again in its EHR, now with A's JWKS URL (the operator's edit in Cerner
 * Central): the same sandbox origin, so the FHIR source B was seeded with still names it.
 */
async function registerWithJwksOf(exporter: Stack, importer: Stack): Promise<Stack> {
  await importer.sandbox.close();
  const { config } = importer.gateway.services;
  const sandbox = await startSandbox({
    port: Number(new URL(importer.sandbox.origin).port),
    publicOrigin: importer.sandbox.origin,
    testControls: true,
    apps: [
      {
        name: 'Chartside test',
        applicationId: importer.applicationId,
        clientId: importer.clientId,
        jwksUrl: jwksUrl(exporter.gateway.services.config),
        redirectUris: [callbackUrl(config)],
        launchUri: launchUrl(config, importer.orgId),
        accessType: 'offline',
        scopes: DEFAULT_FLAG_SCOPES,
      },
    ],
  });
  return { ...importer, sandbox };
}

/** The kid of the client assertion the EHR verified in the last launch, or null when it refused it. */
async function assertionKidOfLaunch(stack: Stack): Promise<string | null> {
  await clearRecordedRequests(stack.sandbox);
  const launch = await driveLaunch(stack);
  const [token] = await recordedRequests(stack.sandbox, 'token');
  const assertion = token?.form?.client_assertion;
  assert.ok(assertion, 'the token request carried a client assertion');
  if (launch.callbackResponse.status !== 302) return null;
  launchIdFrom(launch.callbackResponse);
  return decodeProtectedHeader(assertion).kid ?? null;
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`sharing signing keys across deployments (${engine})`, () => {
    let exporter: Stack;
    let importer: Stack;
    let folder: string;
    let file: string;

    before(async () => {
      [exporter, importer] = await Promise.all([
        startStack({ engine, authMethod: 'private_key_jwt' }),
        startStack({ engine, authMethod: 'private_key_jwt', env: { CHARTSIDE_KEY_RELOAD_SECONDS: '1' } }),
      ]);
      importer = await registerWithJwksOf(exporter, importer);
      folder = mkdtempSync(join(tmpdir(), 'chartside-keys-'));
      file = join(folder, 'signing-keys.jwe');
    });
    after(async () => {
      await Promise.all([exporter?.close(), importer?.sandbox.close(), importer?.close()]);
      rmSync(folder, { recursive: true, force: true });
    });

    it('before the import, the EHR that knows only A’s JWKS URL refuses B’s assertions', async () => {
      assert.notDeepEqual(await jwksKids(importer), await jwksKids(exporter));
      assert.equal(await assertionKidOfLaunch(importer), null);
    });

    it('exports A’s keys to a file only its owner can read, and never over an existing file', async () => {
      const exported = await runChartside(
        cliEnvironment(exporter),
        ['keys', 'export', '--out', file, '--passphrase-stdin', '--json'],
        `${PASSPHRASE}\n`,
      );
      assert.equal(exported.code, 0, exported.stderr);
      const output = JSON.parse(exported.stdout) as { out: string; keys: { id: string; alg: string }[] };
      assert.equal(output.out, file);
      assert.deepEqual(output.keys.map((key) => key.id).sort(), await jwksKids(exporter));
      assert.equal(statSync(file).mode & 0o777, 0o600);

      const again = await runChartside(
        cliEnvironment(exporter),
        ['keys', 'export', '--out', file, '--passphrase-stdin'],
        `${PASSPHRASE}\n`,
      );
      assertBadInput(again, /already exists/);
      const short = await runChartside(
        cliEnvironment(exporter),
        ['keys', 'export', '--out', join(folder, 'other.jwe'), '--passphrase-stdin'],
        'eleven char\n',
      );
      assertBadInput(short, /^chartside: the passphrase must be at least 12 characters$/);
    });

    it('a wrong passphrase exits 2 and leaves B’s JWKS as it was', async () => {
      const before = await jwksKids(importer);
      const refused = await runChartside(
        cliEnvironment(importer),
        ['keys', 'import', '--in', file, '--passphrase-stdin'],
        'not the passphrase at all\n',
      );
      assertBadInput(refused, /wrong passphrase/);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // two reloads of B's key ring
      assert.deepEqual(await jwksKids(importer), before);
    });

    it('after the import B serves A’s kids, and the EHR accepts B’s private_key_jwt launch', async () => {
      const ownKids = await jwksKids(importer);
      const imported = await runChartside(
        cliEnvironment(importer),
        ['keys', 'import', '--in', file, '--passphrase-stdin', '--json'],
        `${PASSPHRASE}\n`,
      );
      assert.equal(imported.code, 0, imported.stderr);
      const output = JSON.parse(imported.stdout) as { keys: { id: string }[]; retired: { id: string }[] };
      assert.deepEqual(output.keys.map((key) => key.id).sort(), await jwksKids(exporter));
      assert.deepEqual(output.retired.map((key) => key.id).sort(), ownKids);

      // No restart: B's gateway re-reads its keys (every second here), as after a rotation.
      const exporterKids = await jwksKids(exporter);
      for (let waited = 0; (await jwksKids(importer)).join() !== exporterKids.join(); waited += 100) {
        assert.ok(waited < 10_000, 'the import was not picked up');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const kid = await assertionKidOfLaunch(importer);
      assert.ok(kid && exporterKids.includes(kid), `B signed with one of A's keys (${kid})`);
    });

    it('importing the same file again changes nothing', async () => {
      const before = await jwksKids(importer);
      const again = await runChartside(
        cliEnvironment(importer),
        ['keys', 'import', '--in', file, '--passphrase-stdin', '--json'],
        `${PASSPHRASE}\n`,
      );
      assert.equal(again.code, 0, again.stderr);
      const output = JSON.parse(again.stdout) as { keys: { added: boolean }[]; retired: unknown[] };
      assert.ok(output.keys.every((key) => !key.added));
      assert.deepEqual(output.retired, []);
      const rows = await importer.gateway.services.db.selectFrom('signing_key').select('kid').execute();
      assert.equal(rows.length, new Set(rows.map((row) => row.kid)).size);
      assert.deepEqual(await jwksKids(importer), before);
      assert.ok(await assertionKidOfLaunch(importer));

      const audit = await importer.gateway.services.db
        .selectFrom('audit_event')
        .select(['action', 'actor', 'details'])
        .where('action', '=', 'signing_key.imported')
        .execute();
      assert.equal(audit.length, 2);
      for (const event of audit) {
        assert.equal(event.actor, 'cli');
        // Kids and counts only, never key material.
        assert.deepEqual(Object.keys(JSON.parse(event.details ?? '{}')).sort(), ['added', 'kids', 'retired']);
      }
    });
  });
}
