/**
 * The steps of one token renewal, for launch-tokens.ts (which decides when to renew and makes
 * sure only one caller across processes does): the client the refresh token belongs to, the
 * refresh call itself, and storing what the EHR returned.
 */
import { recordAudit } from '../audit/audit-log.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import type { Services } from '../services.ts';
import { findConnectionAndClient, openClient, type SealedClient } from '../settings/connections.ts';
import { type Environment, type FhirSource, findFhirSource, type Vendor } from '../settings/fhir-sources.ts';
import { smartConfigurationFor } from '../settings/source-discovery.ts';
import { type RefreshedTokens, refreshAccessToken } from '../smart/refresh.ts';
import { type EhrLaunch, tokenContext } from './ehr-launches.ts';
import type { EndReason } from './lifecycle.ts';
import { jwksUrl } from './urls.ts';

export interface RefreshClient {
  readonly source: FhirSource;
  readonly client: SealedClient;
}

/**
 * The launch's source and the client its refresh token was issued to, or why the launch can no
 * longer be renewed: its source was removed, or the connection's client (for the launch's
 * environment) is another one now.
 */
export async function refreshClientOf(
  { db, sealer, config }: Pick<Services, 'db' | 'sealer' | 'config'>,
  launch: EhrLaunch,
): Promise<RefreshClient | { ended: EndReason }> {
  const source = launch.fhir_source_id ? await findFhirSource(db, launch.fhir_source_id) : undefined;
  if (!source) return { ended: 'source_removed' };
  const found = await findConnectionAndClient(
    db,
    sealer,
    config,
    launch.org_id,
    source.vendor as Vendor,
    launch.environment as Environment,
  );
  const client = found?.client;
  if (!client || client.clientId !== launch.client_id) return { ended: 'client_changed' };
  return { source, client };
}

/** The refresh grant at the source's token endpoint (throws RefreshError). */
export async function callRefresh(
  services: Services,
  launch: EhrLaunch,
  { source, client }: RefreshClient,
): Promise<RefreshedTokens> {
  const { config, sealer } = services;
  const refreshToken = sealer.open(launch.refresh_token as string, tokenContext(launch.id, 'refresh_token'));
  const smart = await smartConfigurationFor(services.db, services.http, source, config);
  return refreshAccessToken(services, {
    smart,
    client: openClient(client, jwksUrl(config)),
    refreshToken,
    policy: urlPolicyFor(source, config.allowPrivateUpstreams),
    timeoutMs: config.refreshTimeoutMs,
  });
}

/**
 * Access token, rotated refresh token (if any), expiry and the audit row in one transaction, and
 * only if the launch is still ready with the token the refresh started from. Returns the stored
 * launch, or null when something else changed it first.
 */
export async function storeRefreshedTokens(
  { db, sealer }: Pick<Services, 'db' | 'sealer'>,
  launch: EhrLaunch,
  tokens: RefreshedTokens,
  who: { trigger: string; actor: string; requestId: string | null },
  now: Date,
): Promise<EhrLaunch | null> {
  const nowIso = now.toISOString();
  const next: EhrLaunch = {
    ...launch,
    access_token: sealer.seal(tokens.accessToken, tokenContext(launch.id, 'access_token')),
    refresh_token: tokens.refreshToken
      ? sealer.seal(tokens.refreshToken, tokenContext(launch.id, 'refresh_token'))
      : launch.refresh_token,
    token_expires_at:
      tokens.expiresIn === null ? null : new Date(now.getTime() + tokens.expiresIn * 1000).toISOString(),
    scope: tokens.scope ?? launch.scope,
    updated_at: nowIso,
  };
  const stored = await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('ehr_launch')
      .set({
        access_token: next.access_token,
        refresh_token: next.refresh_token,
        token_expires_at: next.token_expires_at,
        scope: next.scope,
        updated_at: nowIso,
      })
      .where('id', '=', launch.id)
      .where('status', '=', 'ready')
      .where('access_token', '=', launch.access_token)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;
    await recordAudit(
      trx,
      {
        action: 'token.refreshed',
        actor: who.actor,
        orgId: launch.org_id,
        launchId: launch.id,
        requestId: who.requestId,
        details: {
          trigger: who.trigger,
          rotated: tokens.refreshToken !== null,
          expires_in: tokens.expiresIn,
          ...(tokens.ignoredIdToken ? { id_token_ignored: tokens.ignoredIdToken } : {}),
        },
      },
      now,
    );
    return true;
  });
  return stored ? next : null;
}
