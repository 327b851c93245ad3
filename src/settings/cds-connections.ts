/** An org's connection as the CDS relay uses it (the `connection` table is settings/connections.ts's). */
import type { Db } from '../db/index.ts';

export interface CdsConnection {
  readonly cdsEndpoint: string;
  readonly appLaunchUrl: string | null;
  /** The connection's SMART scopes: the app's read grants bound the CDS FHIR token. */
  readonly scopes: string;
  readonly cdsCaching: boolean;
}

/** The first connection (by vendor) with a CDS endpoint. */
export async function findCdsConnection(db: Db, orgId: string): Promise<CdsConnection | undefined> {
  const row = await db
    .selectFrom('connection')
    .select(['cds_endpoint', 'app_launch_url', 'scopes', 'cds_caching'])
    .where('org_id', '=', orgId)
    .where('cds_endpoint', 'is not', null)
    .orderBy('vendor')
    .executeTakeFirst();
  if (!row?.cds_endpoint) return undefined;
  return {
    cdsEndpoint: row.cds_endpoint,
    appLaunchUrl: row.app_launch_url,
    scopes: row.scopes,
    cdsCaching: row.cds_caching === 1,
  };
}
