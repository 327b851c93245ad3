/**
 * The dev seed of `chartside dev`: one demo organization with everything a launch from the
 * local sandbox needs, written idempotently and remembered in `data/dev-seed.json` (mode 0600).
 * Values derived from a port (the App launch URL, the example CDS endpoint, the sandbox's CDS
 * JWKS URL) follow the port on the next start, unless someone changed them since the seed set
 * them: a restart with another `PORT` must not leave a launch landing on a dead localhost URL.
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
import {
  addTrustedCdsIssuer,
  CERNER_CDS_ISSUER,
  findTrustedCdsIssuer,
  setTrustedCdsIssuerJwksUrl,
} from '../cds/issuers.ts';
import type { Config } from '../config/index.ts';
import { createSealer, type Sealer } from '../crypto/sealing.ts';
import { type Db, migrateToLatest, openDatabase } from '../db/index.ts';
import { findConnection, setConnection } from '../settings/connections.ts';
import { addFhirSource, findFhirSourceByIss } from '../settings/fhir-sources.ts';
import { linkOrgToSource } from '../settings/org-links.ts';
import { createOrganization, findOrganization } from '../settings/organizations.ts';

/** The demo org's console operator (its password is generated once and kept in dev-seed.json). */
const DEV_OPERATOR_EMAIL = 'admin@demo-clinic.example';

/** The port-derived values this run wants, and what the seed set last time. */
export interface PortValues {
  appLaunchUrl: string;
  cdsEndpoint: string;
  cdsJwksUrl: string;
}

/** What the dev seed remembers between runs. */
export interface DevSeed {
  orgId: string;
  apiKey: string;
  applicationId: string;
  clientId: string;
  clientSecret: string;
  operatorEmail: string;
  operatorPassword: string;
  /** The port-derived values as the seed last wrote them (absent in seed files before issue 14). */
  seeded?: PortValues;
}

export type StoredSeed = Omit<DevSeed, 'orgId' | 'apiKey'> & { orgId: string | null; apiKey: string | null };

/**
 * Whether a stored value is still the seed's: equal to what the seed last wrote, or (older seed
 * files, which did not remember) a plain-http loopback URL with the path the seed uses.
 */
export function stillSeeded(current: string | null, lastSeeded: string | undefined, path: string): boolean {
  if (current === null) return true;
  if (lastSeeded !== undefined) return current === lastSeeded;
  try {
    const url = new URL(current);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    return url.protocol === 'http:' && loopback && url.pathname === path;
  } catch {
    return false;
  }
}

/**
 * Org, sandbox FHIR source (linked), Cerner connection (custom credentials, private_key_jwt,
 * `/launch-debug`, the example CDS endpoint), the sandbox as a trusted CDS client, API key and
 * the console operator.
 */
export async function seedGateway(
  config: Config,
  seed: StoredSeed,
  iss: string,
  want: PortValues,
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
    await seedConnection(db, sealer, config, orgId, seed, want);
    await seedCdsIssuer(db, config, orgId, seed.seeded?.cdsJwksUrl, want.cdsJwksUrl);
    if (!apiKey) apiKey = (await createApiKey(db, orgId, 'dev-seed')).key;
    await seedOperator(db, orgId, seed.operatorEmail, seed.operatorPassword);
    return { ...seed, orgId, apiKey, seeded: want };
  } finally {
    await database.close();
  }
}

async function seedConnection(
  db: Db,
  sealer: Sealer,
  config: Config,
  orgId: string,
  seed: StoredSeed,
  want: PortValues,
): Promise<void> {
  const existing = await findConnection(db, orgId, 'cerner');
  if (!existing) {
    await setConnection(db, sealer, config, orgId, 'cerner', {
      appLaunchUrl: want.appLaunchUrl,
      cdsEndpoint: want.cdsEndpoint,
      useCustomCredentials: true,
      clientId: seed.clientId,
      clientSecret: seed.clientSecret,
      authMethod: 'private_key_jwt',
    });
    return;
  }
  const changes: { appLaunchUrl?: string; cdsEndpoint?: string } = {};
  if (
    existing.appLaunchUrl !== want.appLaunchUrl &&
    stillSeeded(existing.appLaunchUrl, seed.seeded?.appLaunchUrl, '/launch-debug')
  )
    changes.appLaunchUrl = want.appLaunchUrl;
  if (
    existing.cdsEndpoint !== want.cdsEndpoint &&
    stillSeeded(existing.cdsEndpoint, seed.seeded?.cdsEndpoint, '/')
  )
    changes.cdsEndpoint = want.cdsEndpoint;
  if (Object.keys(changes).length > 0) await setConnection(db, sealer, config, orgId, 'cerner', changes);
}

/** The sandbox signs patient-view with its /jwk key and Cerner's CDS issuer (dev only). */
async function seedCdsIssuer(
  db: Db,
  config: Config,
  orgId: string,
  lastSeeded: string | undefined,
  jwksUrl: string,
): Promise<void> {
  const trusted = await findTrustedCdsIssuer(db, orgId, CERNER_CDS_ISSUER);
  if (!trusted) {
    await addTrustedCdsIssuer(db, config, orgId, { issuer: CERNER_CDS_ISSUER, jwksUrl });
  } else if (trusted.jwksUrl !== jwksUrl && stillSeeded(trusted.jwksUrl, lastSeeded, '/jwk')) {
    await setTrustedCdsIssuerJwksUrl(db, config, trusted.id, jwksUrl);
  }
}

/**
 * The developer's console account, idempotently: a platform admin (the person running `chartside
 * dev` owns the whole gateway: sources, links, every org), looking at the demo org. Created once;
 * an older seed's org operator is made a platform admin; a changed password is set back to the
 * seed's, so what `chartside dev` prints always works.
 */
async function seedOperator(db: Db, orgId: string, email: string, password: string): Promise<void> {
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

export function readSeed(file: string): StoredSeed {
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
    ...(stored.seeded ? { seeded: stored.seeded } : {}),
  };
}

export function writeSeed(file: string, seed: DevSeed): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(seed, null, 2)}\n`, { mode: 0o600 });
}
