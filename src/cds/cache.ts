/**
 * The CDS answer cache (connection setting "CDS caching", off by default). Identical requests —
 * same org, CDS endpoint, service, hook, context (which names the user and patient) and prefetch
 * — within the TTL get the stored answer without calling the app. The key never includes a token
 * (`fhirAuthorization`) nor the `hookInstance`; entries live in the database, so every process
 * shares them; only successful, well-formed answers are stored (never errors or the empty answer
 * we give when the app fails).
 */
import { createHash } from 'node:crypto';
import type { Db } from '../db/index.ts';

export interface CacheKeyParts {
  orgId: string;
  cdsEndpoint: string;
  serviceId: string;
  hook: string;
  context: unknown;
  prefetch: unknown;
}

/** JSON with object keys sorted, so equal requests hash equally whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        org: parts.orgId,
        endpoint: parts.cdsEndpoint,
        service: parts.serviceId,
        hook: parts.hook,
        context: parts.context,
        prefetch: parts.prefetch ?? null,
      }),
    )
    .digest('hex');
}

export async function readCachedAnswer(db: Db, key: string, now = new Date()): Promise<unknown | undefined> {
  const row = await db
    .selectFrom('cds_cache')
    .select(['body', 'expires_at'])
    .where('cache_key', '=', key)
    .executeTakeFirst();
  if (!row || row.expires_at <= now.toISOString()) return undefined;
  return JSON.parse(row.body) as unknown;
}

export async function storeAnswer(
  db: Db,
  entry: { key: string; orgId: string; body: unknown; ttlSeconds: number },
  now = new Date(),
): Promise<void> {
  const values = {
    cache_key: entry.key,
    org_id: entry.orgId,
    body: JSON.stringify(entry.body),
    expires_at: new Date(now.getTime() + entry.ttlSeconds * 1000).toISOString(),
  };
  await db
    .insertInto('cds_cache')
    .values(values)
    .onConflict((oc) =>
      oc.column('cache_key').doUpdateSet({ body: values.body, expires_at: values.expires_at }),
    )
    .execute();
  if (Math.random() < 0.05) {
    await db.deleteFrom('cds_cache').where('expires_at', '<', now.toISOString()).execute();
  }
}
