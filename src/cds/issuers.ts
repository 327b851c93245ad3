/**
 * The EHRs trusted to call an org's CDS Hooks URL (CDS Hooks 2.0 §security: "services keep
 * allowlists of clients"). Each entry names the JWT `iss`, the JWKS URL its keys come from and
 * the `jku` values it may name; any other `jku` is refused without being fetched.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { type Db, isUniqueViolation } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { getOrganization } from '../settings/organizations.ts';
import { validateAdminUrl } from '../settings/validation.ts';

/** Cerner's CDS Hooks issuer and its key set (docs/cerner.md §9). */
export const CERNER_CDS_ISSUER = 'https://cds-hooks.cerner.com';
export const CERNER_CDS_JWKS_URL = 'https://authorization.cerner.com/jwk';

export interface TrustedCdsIssuer {
  readonly id: string;
  readonly orgId: string;
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly jkuAllowlist: readonly string[];
}

export interface NewTrustedCdsIssuer {
  issuer: string;
  jwksUrl: string;
  jkuAllowlist?: readonly string[];
}

export async function addTrustedCdsIssuer(
  db: Db,
  config: Pick<Config, 'mode'>,
  orgId: string,
  input: NewTrustedCdsIssuer,
): Promise<TrustedCdsIssuer> {
  await getOrganization(db, orgId);
  const allowLoopbackHttp = config.mode !== 'production';
  const issuer = input.issuer.trim();
  if (!issuer || issuer.length > 2048) {
    throw new ChartsideError('invalid_data', {
      param: 'issuer',
      message: 'issuer is required (≤ 2048 characters).',
    });
  }
  const jwksUrl = validateAdminUrl(input.jwksUrl, 'jwks_url', allowLoopbackHttp);
  const jkuAllowlist = (input.jkuAllowlist ?? []).map((jku) =>
    validateAdminUrl(jku, 'jku_allowlist', allowLoopbackHttp),
  );
  const row = {
    id: `cdsiss_${randomUUID()}`,
    org_id: orgId,
    issuer,
    jwks_url: jwksUrl,
    jku_allowlist: JSON.stringify(jkuAllowlist),
    created_at: new Date().toISOString(),
  };
  try {
    await db.insertInto('cds_trusted_issuer').values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ChartsideError('resource_conflict', {
        param: 'issuer',
        message: 'This issuer is already trusted for the organization.',
      });
    }
    throw error;
  }
  return { id: row.id, orgId, issuer, jwksUrl, jkuAllowlist };
}

export async function findTrustedCdsIssuer(
  db: Db,
  orgId: string,
  issuer: string,
): Promise<TrustedCdsIssuer | undefined> {
  const row = await db
    .selectFrom('cds_trusted_issuer')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('issuer', '=', issuer)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    orgId: row.org_id,
    issuer: row.issuer,
    jwksUrl: row.jwks_url,
    jkuAllowlist: JSON.parse(row.jku_allowlist) as string[],
  };
}

/** Points a trusted issuer at another JWKS URL (`chartside dev` when the sandbox's port changed). */
export async function setTrustedCdsIssuerJwksUrl(
  db: Db,
  config: Pick<Config, 'mode'>,
  id: string,
  jwksUrl: string,
): Promise<void> {
  const url = validateAdminUrl(jwksUrl, 'jwks_url', config.mode !== 'production');
  await db.updateTable('cds_trusted_issuer').set({ jwks_url: url }).where('id', '=', id).execute();
}
