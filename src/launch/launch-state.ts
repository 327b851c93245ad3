/**
 * Launch state: the `state` we send to the EHR, kept server-side (never in a cookie the flow
 * depends on: PowerChart's embedded browsers share or drop storage, docs/cerner.md §11).
 * 256 random bits, stored as a SHA-256 hash, single use, ten-minute life.
 */

import { randomToken, sha256Hex } from '../crypto/random.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db, LaunchStateTable } from '../db/index.ts';
import { hotQuery } from '../db/statements.ts';

export const LAUNCH_STATE_TTL_MS = 10 * 60_000;

export interface PendingLaunchState {
  readonly launchId: string;
  readonly orgId: string;
  readonly fhirSourceId: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  readonly clientId: string;
  /** When the launch started (its state was written). */
  readonly startedAt: string;
}

const verifierContext = (stateHash: string) => `launch_state.code_verifier:${stateHash}`;

export function newState(): string {
  return randomToken(32);
}

export function launchStateRow(
  state: string,
  pending: Omit<PendingLaunchState, 'startedAt'>,
  sealer: Sealer,
  now: Date,
): LaunchStateTable {
  const stateHash = sha256Hex(state);
  return {
    state_hash: stateHash,
    launch_id: pending.launchId,
    org_id: pending.orgId,
    fhir_source_id: pending.fhirSourceId,
    code_verifier: sealer.seal(pending.codeVerifier, verifierContext(stateHash)),
    redirect_uri: pending.redirectUri,
    client_id: pending.clientId,
    expires_at: new Date(now.getTime() + LAUNCH_STATE_TTL_MS).toISOString(),
    consumed_at: null,
    created_at: now.toISOString(),
  };
}

/** RETURNING hands the winner its row in the same statement (one round trip, not two). */
// Named columns, not `*`: a prepared statement must keep its result shape when a later
// migration adds a column (PostgreSQL: "cached plan must not change result type").
const TAKE_STATE = hotQuery('take_launch_state', (db, v: { stateHash: string; now: string }) =>
  db
    .updateTable('launch_state')
    .set({ consumed_at: v.now })
    .where('state_hash', '=', v.stateHash)
    .where('consumed_at', 'is', null)
    .where('expires_at', '>', v.now)
    .returning([
      'launch_id',
      'org_id',
      'fhir_source_id',
      'code_verifier',
      'redirect_uri',
      'client_id',
      'created_at',
    ]),
);

/**
 * Take a state for good: one conditional UPDATE, so of two callbacks racing with the same
 * state exactly one wins, on SQLite and PostgreSQL alike. Unknown, used or expired → null.
 */
export async function consumeLaunchState(
  db: Db,
  sealer: Sealer,
  state: string,
  now = new Date(),
): Promise<PendingLaunchState | null> {
  const stateHash = sha256Hex(state);
  const [row] = (await TAKE_STATE(db, { stateHash, now: now.toISOString() })).rows;
  if (!row) return null;
  return {
    launchId: row.launch_id,
    orgId: row.org_id,
    fhirSourceId: row.fhir_source_id,
    codeVerifier: sealer.open(row.code_verifier, verifierContext(stateHash)),
    redirectUri: row.redirect_uri,
    clientId: row.client_id,
    startedAt: row.created_at,
  };
}
