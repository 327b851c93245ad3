/**
 * What the EHR granted on an organization's last launch that became ready: the console's
 * Connections page compares it with the Scopes row (the guide: "confirm it matches what you
 * ticked on the Code Console API Access screen"). `ehr_launch` is this room's table.
 */
import type { Db } from '../db/index.ts';

export interface LastGrant {
  launchId: string;
  /** The scope the EHR's token response granted. */
  scope: string;
  /** The scope that launch asked for. */
  requestedScope: string;
  completedAt: string;
}

/**
 * The latest launch of `orgId` from one of `sourceIds` that reached `ready` (it may have ended
 * since), or undefined when there is none.
 */
export async function lastGrant(
  db: Db,
  orgId: string,
  sourceIds: readonly string[],
): Promise<LastGrant | undefined> {
  if (sourceIds.length === 0) return undefined;
  const row = await db
    .selectFrom('ehr_launch')
    .select(['id', 'scope', 'requested_scope', 'completed_at'])
    .where('org_id', '=', orgId)
    .where('fhir_source_id', 'in', [...sourceIds])
    .where('completed_at', 'is not', null)
    .where('scope', 'is not', null)
    .orderBy('completed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row?.scope || !row.completed_at) return undefined;
  return {
    launchId: row.id,
    scope: row.scope,
    requestedScope: row.requested_scope,
    completedAt: row.completed_at,
  };
}

/** Scopes as a set: order and repeated spaces do not make two scope strings differ. */
function scopeSet(scope: string): Set<string> {
  return new Set(scope.split(/\s+/).filter((part) => part !== ''));
}

export interface ScopeDifference {
  /** Requested now but not granted last time: what the EHR registration does not allow. */
  notGranted: string[];
  /** Granted last time but not requested now. */
  notRequested: string[];
}

/** How the scopes a connection requests differ from what was granted, or null when they match. */
export function compareScopes(requested: string, granted: string): ScopeDifference | null {
  const want = scopeSet(requested);
  const got = scopeSet(granted);
  const notGranted = [...want].filter((scope) => !got.has(scope));
  const notRequested = [...got].filter((scope) => !want.has(scope));
  return notGranted.length === 0 && notRequested.length === 0 ? null : { notGranted, notRequested };
}
