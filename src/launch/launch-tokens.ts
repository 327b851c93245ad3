/**
 * The access token a launch calls the EHR with, renewed with the refresh token before it runs
 * out (`CHARTSIDE_REFRESH_SKEW_SECONDS`) and once when the EHR refuses it (401).
 *
 * However many requests and processes want a new token at the same moment, the EHR sees one
 * refresh call:
 * - within a process, concurrent callers share one in-flight promise per launch;
 * - across processes, the caller that takes the `refresh:<launch id>` lease (lease.ts) refreshes,
 *   and the others poll until the lease is free and then read the stored result;
 * - the lease cannot be taken again within a minute of its last taking, because Cerner throttles
 *   more frequent refreshes (docs/cerner.md §7); callers then keep using the current token.
 *
 * The stored access token's sealed envelope (random IV, so it changes on every refresh) tells a
 * caller whether the token changed since it read the launch.
 *
 * An early renewal that fails for a passing reason (timeout, 5xx, discovery, a renewal elsewhere
 * taking too long) leaves the current token in use until it really expires: the EHR still takes
 * it, and the next call tries again. Only an EHR's refusal of the refresh token ends the launch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import { LookupCache } from '../cache/lookup-cache.ts';
import type { EhrLaunchTable } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { summarizeError } from '../logging.ts';
import type { Services } from '../services.ts';
import { RefreshError, type RefreshedTokens } from '../smart/refresh.ts';
import { findLaunch, tokenContext } from './ehr-launches.ts';
import { newHolderId, releaseLease, tryAcquireLease } from './lease.ts';
import { type EndReason, endLaunch, pastMaxAge, tokenUnavailable } from './lifecycle.ts';
import { callRefresh, refreshClientOf, storeRefreshedTokens } from './token-refresh.ts';

/** Cerner may throttle a client that refreshes more often than once a minute (docs/cerner.md §7). */
export const REFRESH_MIN_INTERVAL_MS = 60_000;
/** A lease outlives the refresh call it guards by this much (database round trips, clock jitter). */
const LEASE_MARGIN_MS = 5_000;
const LEASE_POLL_MS = 25;
/** Access tokens kept opened in memory (oldest dropped first); each is ~1 KB. */
const OPENED_TOKENS_KEPT = 1000;
const OPENED_TOKEN_TTL_MS = 60_000;

export type LaunchRow = EhrLaunchTable;

/** A usable access token. `sealed` identifies this version of it; `value` never reaches a log. */
export interface HeldToken {
  readonly value: string;
  readonly sealed: string;
}

/** Who asked, for the audit trail and logs. */
export interface TokenRequester {
  readonly actor: string;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
}

export interface LaunchTokens {
  /** The token to call the EHR with, refreshed first when it is about to expire. */
  current(launch: LaunchRow, who: TokenRequester): Promise<HeldToken>;
  /** The EHR refused `refused` (401): a different token, refreshed here or elsewhere, or token_unavailable. */
  afterRefusal(launch: LaunchRow, refused: HeldToken, who: TokenRequester): Promise<HeldToken>;
}

type Trigger = 'expiry' | 'unauthorized';

/** A renewal that did not happen now but may later; the current token, if still valid, goes on. */
class RenewalDeferred extends Error {
  override readonly name = 'RenewalDeferred';
  asTokenUnavailable(): ChartsideError {
    return new ChartsideError('token_unavailable', { message: this.message, cause: this.cause });
  }
}

export function createLaunchTokens(services: Services, clock: () => number = Date.now): LaunchTokens {
  const { db, sealer, config } = services;
  const inFlight = new Map<string, Promise<LaunchRow>>();
  const leaseTtlMs = config.refreshTimeoutMs + LEASE_MARGIN_MS;

  // Opened tokens by sealed envelope: a launch's token is opened once a minute at most, not on
  // every proxied request; the helper bounds how long and how many stay in memory.
  const opened = new LookupCache<string>(OPENED_TOKEN_TTL_MS, OPENED_TOKENS_KEPT, clock);

  function open(launch: LaunchRow): HeldToken {
    if (launch.status !== 'ready' || !launch.access_token) throw tokenUnavailable(launch);
    const sealed = launch.access_token;
    let value = opened.get(sealed);
    if (value === undefined) {
      value = sealer.open(sealed, tokenContext(launch.id, 'access_token'));
      opened.set(sealed, value);
    }
    return { sealed, value };
  }

  async function end(launch: LaunchRow, reason: EndReason, who: TokenRequester, error?: RefreshError) {
    const status =
      reason === 'max_session_age' || reason === 'access_token_expired' ? 'expired' : 'refresh_failed';
    await endLaunch(
      db,
      launch.id,
      {
        from: 'ready',
        status,
        reason,
        actor: who.actor,
        requestId: who.requestId,
        ehrError: error?.ehrError ?? null,
        ehrErrorUri: error?.ehrErrorUri ?? null,
      },
      new Date(clock()),
    );
    return tokenUnavailable({ status, end_reason: reason }, error);
  }

  async function current(launch: LaunchRow, who: TokenRequester): Promise<HeldToken> {
    const now = clock();
    if (launch.status !== 'ready' || !launch.access_token) throw tokenUnavailable(launch);
    if (pastMaxAge(launch, config, now)) throw await end(launch, 'max_session_age', who);
    const expiresAt = launch.token_expires_at ? Date.parse(launch.token_expires_at) : null;
    if (expiresAt === null || expiresAt - config.refreshSkewSeconds * 1000 > now) return open(launch);
    if (!launch.refresh_token) {
      if (expiresAt <= now) throw await end(launch, 'access_token_expired', who);
      return open(launch);
    }
    try {
      return open(await coordinate(launch, launch.access_token, 'expiry', who));
    } catch (error) {
      if (!(error instanceof RenewalDeferred)) throw error;
      if (expiresAt <= clock()) throw error.asTokenUnavailable();
      who.log.info(
        { launch: launch.id, expires_at: launch.token_expires_at },
        'token renewal deferred; going on with the current access token until it expires',
      );
      return open(launch);
    }
  }

  async function afterRefusal(
    launch: LaunchRow,
    refused: HeldToken,
    who: TokenRequester,
  ): Promise<HeldToken> {
    if (!launch.refresh_token) {
      throw new ChartsideError('token_unavailable', {
        message: 'The EHR refused this launch’s access token, and the launch holds no refresh token.',
      });
    }
    const row = await coordinate(launch, refused.sealed, 'unauthorized', who).catch((error: unknown) => {
      throw error instanceof RenewalDeferred ? error.asTokenUnavailable() : error;
    });
    if (row.access_token === refused.sealed) {
      throw new ChartsideError('token_unavailable', {
        message:
          'The EHR refused this launch’s access token, and it is renewed at most once a minute; try again shortly.',
      });
    }
    return open(row);
  }

  /** One refresh (or wait for one) per launch per process; later callers join the first. */
  function coordinate(launch: LaunchRow, used: string, trigger: Trigger, who: TokenRequester) {
    let flight = inFlight.get(launch.id);
    if (!flight) {
      flight = refreshOrWait(launch.id, used, trigger, who).finally(() => inFlight.delete(launch.id));
      inFlight.set(launch.id, flight);
    }
    return flight;
  }

  async function refreshOrWait(id: string, used: string, trigger: Trigger, who: TokenRequester) {
    const lease = `refresh:${id}`;
    const deadline = clock() + leaseTtlMs + 1000;
    for (;;) {
      const row = await findLaunch(db, id);
      if (row?.status !== 'ready' || !row.access_token) throw tokenUnavailable(row);
      // Someone (here or in another process) already stored a newer token: use it.
      if (row.access_token !== used) return row;
      const holder = newHolderId();
      const attempt = await tryAcquireLease(
        db,
        lease,
        holder,
        { ttlMs: leaseTtlMs, minIntervalMs: REFRESH_MIN_INTERVAL_MS },
        clock(),
      );
      if (attempt.acquired) {
        try {
          // Re-read under the lease: a refresh may have finished between our read and the taking.
          const fresh = await findLaunch(db, id);
          if (fresh?.status !== 'ready' || !fresh.access_token) throw tokenUnavailable(fresh);
          if (fresh.access_token !== used) return fresh;
          return await refreshNow(fresh, trigger, who);
        } finally {
          await releaseLease(db, lease, holder, clock());
        }
      }
      // Free but refreshed less than a minute ago: no refresh now; the caller keeps the current token.
      if (attempt.heldUntil === null) return row;
      if (clock() > deadline) {
        throw new RenewalDeferred(
          'Renewing this launch’s access token is taking too long; try again shortly.',
        );
      }
      await sleep(LEASE_POLL_MS);
    }
  }

  async function refreshNow(row: LaunchRow, trigger: Trigger, who: TokenRequester): Promise<LaunchRow> {
    const found = await refreshClientOf(services, row);
    if ('ended' in found) throw await end(row, found.ended, who);
    let tokens: RefreshedTokens;
    try {
      tokens = await callRefresh(services, row, found);
    } catch (thrown) {
      const error = thrown instanceof RefreshError ? thrown : new RefreshError('discovery failed', false);
      who.log.warn({ launch: row.id, err: summarizeError(thrown) }, 'token refresh failed');
      services.metrics.tokenRefresh(error.permanent ? 'refused' : 'error');
      if (error.permanent)
        throw await end(row, error.sessionEnded ? 'session_ended' : 'refresh_refused', who, error);
      await recordAudit(db, {
        action: 'token.refresh_error',
        actor: who.actor,
        orgId: row.org_id,
        launchId: row.id,
        requestId: who.requestId,
        details: { trigger, reason: error.reason, ehr_error: error.ehrError },
      });
      throw new RenewalDeferred(
        'The EHR did not renew this launch’s access token just now; try again in a minute.',
        {
          cause: thrown,
        },
      );
    }
    services.metrics.tokenRefresh('refreshed');
    if (tokens.ignoredIdToken) {
      // The launch keeps the identity its code exchange verified (smart/refresh.ts).
      who.log.warn({ launch: row.id, reason: tokens.ignoredIdToken }, 'refreshed id_token ignored');
    }
    const stored = await storeRefreshedTokens(services, row, tokens, { trigger, ...who }, new Date(clock()));
    if (stored) return stored;
    // The launch ended, or its token changed, while we refreshed: whatever is stored now wins.
    const latest = await findLaunch(db, row.id);
    if (latest?.status !== 'ready') throw tokenUnavailable(latest);
    return latest;
  }

  return { current, afterRefusal };
}
