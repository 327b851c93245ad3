/**
 * `chartside dev` (= `npm start`): the gateway on SQLite and the local Cerner sandbox on two
 * local ports, seeded idempotently so a person can do the guide's "Test in the Cerner Code
 * Sandbox" part offline. The CLI is the composition root: it starts both systems, which still
 * talk to each other only over HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createOperator,
  findOperatorByEmail,
  makePlatformAdmin,
  setOperatorPassword,
} from '../admin/operators.ts';
import { verifyPassword } from '../admin/passwords.ts';
import { createApiKey } from '../api/api-keys.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { cdsHooksUrl } from '../cds/inbound-jwt.ts';
import { addTrustedCdsIssuer, CERNER_CDS_ISSUER, findTrustedCdsIssuer } from '../cds/issuers.ts';
import { type Config, ConfigError, loadConfig } from '../config/index.ts';
import { createSealer } from '../crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../db/index.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../launch/urls.ts';
import { startSandbox } from '../sandbox/index.ts';
import { DEFAULT_FLAG_SCOPES } from '../sandbox/main.ts';
import { closeOnSignals, startGateway } from '../server.ts';
import { findConnection, setConnection } from '../settings/connections.ts';
import { addFhirSource, findFhirSourceByIss } from '../settings/fhir-sources.ts';
import { linkOrgToSource } from '../settings/org-links.ts';
import { createOrganization, findOrganization } from '../settings/organizations.ts';
import { EXAMPLE_CDS_SERVICE_ID, startExampleCdsService } from './example-cds-service.ts';

const SANDBOX_TENANT = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
/** The demo org's console operator (its password is generated once and kept in dev-seed.json). */
const DEV_OPERATOR_EMAIL = 'admin@demo-clinic.example';

/** What the dev seed remembers between runs (data/dev-seed.json, mode 0600). */
interface DevSeed {
  orgId: string;
  apiKey: string;
  applicationId: string;
  clientId: string;
  clientSecret: string;
  operatorEmail: string;
  operatorPassword: string;
}

export async function runDev(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { mode: 'development' });
  const sandboxPort = parsePort(env.SANDBOX_PORT, 4000);
  const sandboxOrigin = (env.SANDBOX_PUBLIC_URL ?? `http://localhost:${sandboxPort}`).replace(/\/+$/, '');
  const seedFile = join(config.dataDir, 'dev-seed.json');
  const seed = readSeed(seedFile);

  // The app's side of CDS Hooks: a tiny example CDS service, so the sandbox chart shows a card.
  const exampleCds = await startExampleCdsService({
    port: parsePort(env.CDS_EXAMPLE_PORT, 4100),
    host: config.host,
    gatewayUrl: config.publicUrl,
  });
  const seeded = await seedGateway(config, seed, `${sandboxOrigin}/r4/${SANDBOX_TENANT}`, {
    cdsEndpoint: exampleCds.url,
    cdsJwksUrl: `${sandboxOrigin}/jwk`,
  });
  writeSeed(seedFile, seeded);
  const cdsServiceUrl = cdsHooksUrl(config, seeded.orgId, EXAMPLE_CDS_SERVICE_ID);

  const sandbox = await startSandbox({
    port: sandboxPort,
    host: config.host,
    publicOrigin: sandboxOrigin,
    tenant: SANDBOX_TENANT,
    apps: [
      {
        name: 'Chartside demo',
        applicationId: seeded.applicationId,
        clientId: seeded.clientId,
        secret: seeded.clientSecret,
        jwksUrl: jwksUrl(config),
        redirectUris: [callbackUrl(config)],
        launchUri: launchUrl(config, seeded.orgId),
        accessType: 'offline',
        scopes: DEFAULT_FLAG_SCOPES,
        cdsServiceUrls: [cdsServiceUrl],
      },
    ],
  });
  const gateway = await startGateway(config);
  closeOnSignals(async () => {
    await gateway.close();
    await sandbox.close();
    await exampleCds.close();
  });

  const consoleUrl = `${sandbox.origin}/developer/smart-on-fhir/apps/${seeded.applicationId}`;
  console.log(`
Chartside is running (development mode, ${config.databaseUrl}).

  Gateway            ${config.publicUrl}
  Cerner sandbox     ${sandbox.origin}   (FHIR base / iss: ${sandbox.fhirBaseUrl})
  Organization       ${seeded.orgId}
  SMART Launch URI   ${launchUrl(config, seeded.orgId)}
  API key            ${seeded.apiKey}
  CDS Hooks URL      ${cdsHooksUrl(config, seeded.orgId)}
  Example CDS app    ${exampleCds.url}   (patient-view service "${EXAMPLE_CDS_SERVICE_ID}")

  Admin console      ${config.publicUrl}/admin/sign-in
    email            ${seeded.operatorEmail}
    password         ${seeded.operatorPassword}

Open this page, click "Test Sandbox" and pick a patient: the chart fires patient-view through
Chartside and shows the example service's card. Then launch, sign in as portal / portal and approve:

  ${consoleUrl}

Then resolve the handle your app receives:
  curl -H "Authorization: Bearer ${seeded.apiKey}" ${config.publicUrl}/launch-contexts/<mb_launch>
`);
  return -1;
}

/**
 * Org, sandbox FHIR source, Cerner connection (custom credentials, private_key_jwt, the example
 * CDS endpoint), the sandbox as a trusted CDS client, API key.
 */
async function seedGateway(
  config: Config,
  seed: StoredSeed,
  iss: string,
  cds: { cdsEndpoint: string; cdsJwksUrl: string },
): Promise<DevSeed> {
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(database);
    const { db } = database;
    const sealer = createSealer(config.masterKey);
    let orgId = seed.orgId && (await findOrganization(db, seed.orgId)) ? seed.orgId : null;
    let apiKey = orgId ? seed.apiKey : null;
    if (!orgId) orgId = (await createOrganization(db, { name: 'Demo Clinic' })).id;
    const source =
      (await findFhirSourceByIss(db, iss)) ??
      (await addFhirSource(db, {
        iss,
        vendor: 'cerner',
        environment: 'sandbox',
        name: 'Cerner code sandbox (local)',
      }));
    // The guide's "the customer's org points at that tenant", done for the demo (idempotent).
    await linkOrgToSource(db, { orgId, sourceId: source.id, actor: 'dev-seed' });
    if (!(await findConnection(db, orgId, 'cerner'))) {
      await setConnection(db, sealer, config, orgId, 'cerner', {
        appLaunchUrl: `${config.publicUrl}/launch-debug`,
        useCustomCredentials: true,
        clientId: seed.clientId,
        clientSecret: seed.clientSecret,
        authMethod: 'private_key_jwt',
      });
    }
    const connection = await findConnection(db, orgId, 'cerner');
    if (connection && !connection.cdsEndpoint) {
      await setConnection(db, sealer, config, orgId, 'cerner', { cdsEndpoint: cds.cdsEndpoint });
    }
    // The sandbox signs patient-view with its /jwk key and Cerner's CDS issuer (dev only).
    if (!(await findTrustedCdsIssuer(db, orgId, CERNER_CDS_ISSUER))) {
      await addTrustedCdsIssuer(db, config, orgId, { issuer: CERNER_CDS_ISSUER, jwksUrl: cds.cdsJwksUrl });
    }
    if (!apiKey) apiKey = (await createApiKey(db, orgId, 'dev-seed')).key;
    await seedOperator(db, orgId, seed.operatorEmail, seed.operatorPassword);
    return { ...seed, orgId, apiKey };
  } finally {
    await database.close();
  }
}

/**
 * The developer's console account, idempotently: a platform admin (the person running `chartside
 * dev` owns the whole gateway: sources, links, every org), looking at the demo org. Created once;
 * an older seed's org operator is made a platform admin; a changed password is set back to the
 * seed's, so what `chartside dev` prints always works.
 */
async function seedOperator(
  db: Parameters<typeof createOperator>[0],
  orgId: string,
  email: string,
  password: string,
): Promise<void> {
  const existing = await findOperatorByEmail(db, email);
  if (!existing) {
    const operator = await createOperator(db, { orgId: null, email, password });
    await recordAudit(db, {
      action: 'operator.created',
      actor: 'dev-seed',
      orgId,
      details: { id: operator.id, email, role: operator.role },
    });
    return;
  }
  if (existing.role !== 'platform_admin') {
    await makePlatformAdmin(db, existing.id);
    await recordAudit(db, {
      action: 'operator.role_changed',
      actor: 'dev-seed',
      orgId: existing.org_id,
      details: { id: existing.id, role: 'platform_admin' },
    });
  }
  if (!(await verifyPassword(password, existing.password_hash))) {
    await setOperatorPassword(db, existing.id, password);
    await recordAudit(db, {
      action: 'operator.password_set',
      actor: 'dev-seed',
      orgId: existing.org_id,
      details: { id: existing.id },
    });
  }
}

type StoredSeed = Omit<DevSeed, 'orgId' | 'apiKey'> & { orgId: string | null; apiKey: string | null };

function readSeed(file: string): StoredSeed {
  const stored: Partial<DevSeed> = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as DevSeed)
    : {};
  return {
    orgId: stored.orgId ?? null,
    apiKey: stored.apiKey ?? null,
    applicationId: stored.applicationId ?? randomUUID(),
    clientId: stored.clientId ?? randomUUID(),
    clientSecret: stored.clientSecret ?? randomBytes(24).toString('base64url'),
    // Seed files written before the console existed have no operator yet.
    operatorEmail: stored.operatorEmail ?? DEV_OPERATOR_EMAIL,
    operatorPassword: stored.operatorPassword ?? randomBytes(15).toString('base64url'),
  };
}

function writeSeed(file: string, seed: DevSeed): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(seed, null, 2)}\n`, { mode: 0o600 });
}

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError('SANDBOX_PORT must be a port number');
  return port;
}
