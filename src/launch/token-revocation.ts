/**
 * Revoking an ended launch's tokens at the EHR (RFC 7009), after endLaunch deleted them: the
 * refresh token and the access token, each with its `token_type_hint`, as the client they were
 * issued to, at the source's advertised `revocation_endpoint`.
 *
 * Best effort by design: the launch is already over and its tokens gone from the database, so a
 * refusal, a timeout or an EHR without a revocation endpoint is logged and audited and changes
 * nothing else. Nothing here ever logs or audits a token.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import { summarizeError } from '../logging.ts';
import type { Services } from '../services.ts';
import { openClient } from '../settings/connections.ts';
import { smartConfigurationFor } from '../settings/source-discovery.ts';
import { RevocationError, revokeToken, type TokenTypeHint } from '../smart/revocation.ts';
import { type EhrLaunch, tokenContext } from './ehr-launches.ts';
import type { EndedLaunch } from './lifecycle.ts';
import { refreshClientOf } from './token-refresh.ts';
import { jwksUrl } from './urls.ts';

export interface Revoker {
  readonly actor: string;
  readonly requestId: string;
  readonly log: FastifyBaseLogger;
}

/** What happened at the EHR, as the audit trail says it. */
export type RevocationOutcome =
  | { readonly outcome: 'revoked'; readonly tokens: readonly TokenTypeHint[] }
  | { readonly outcome: 'skipped'; readonly reason: string }
  | {
      readonly outcome: 'failed';
      readonly tokenTypeHint: TokenTypeHint;
      readonly reason: string;
      readonly status: number | null;
      readonly ehrError: string | null;
    };

/** Revoke what `ended` deleted, audit the outcome, and return it. Never throws. */
export async function revokeEndedTokens(
  services: Services,
  launch: EhrLaunch,
  ended: EndedLaunch,
  who: Revoker,
): Promise<RevocationOutcome> {
  let outcome: RevocationOutcome;
  try {
    outcome = await revoke(services, launch, ended);
  } catch (error) {
    who.log.warn({ launch: launch.id, err: summarizeError(error) }, 'token revocation could not start');
    outcome = { outcome: 'skipped', reason: 'discovery_failed' };
  }
  if (outcome.outcome === 'failed') {
    who.log.warn(
      {
        launch: launch.id,
        token_type_hint: outcome.tokenTypeHint,
        reason: outcome.reason,
        status: outcome.status,
      },
      'the EHR did not revoke a token of an ended launch',
    );
  }
  await recordAudit(services.db, {
    action: AUDIT_ACTIONS[outcome.outcome],
    actor: who.actor,
    orgId: ended.orgId,
    launchId: launch.id,
    requestId: who.requestId,
    details: auditDetails(outcome),
  });
  return outcome;
}

const AUDIT_ACTIONS = {
  revoked: 'token.revoked',
  skipped: 'token.revocation_skipped',
  failed: 'token.revocation_failed',
} as const;

function auditDetails(outcome: RevocationOutcome): Record<string, string | number | null> {
  switch (outcome.outcome) {
    case 'revoked':
      return { tokens: outcome.tokens.join(' ') };
    case 'skipped':
      return { reason: outcome.reason };
    case 'failed':
      return {
        token_type_hint: outcome.tokenTypeHint,
        reason: outcome.reason,
        status: outcome.status,
        ehr_error: outcome.ehrError,
      };
  }
}

async function revoke(services: Services, launch: EhrLaunch, ended: EndedLaunch): Promise<RevocationOutcome> {
  const held = heldTokens(services, launch.id, ended);
  if (held.length === 0) return { outcome: 'skipped', reason: 'no_tokens' };
  const found = await refreshClientOf(services, launch);
  // Only the client the tokens were issued to may revoke them (RFC 7009 §2.1).
  if ('ended' in found) return { outcome: 'skipped', reason: found.ended };
  const { config } = services;
  const smart = await smartConfigurationFor(services.db, services.http, found.source, config);
  const { revocationEndpoint } = smart;
  if (!revocationEndpoint) return { outcome: 'skipped', reason: 'no_revocation_endpoint' };
  const request = {
    smart: { ...smart, revocationEndpoint },
    client: openClient(found.client, jwksUrl(config)),
    policy: urlPolicyFor(found.source, config.allowPrivateUpstreams),
    timeoutMs: config.outboundTimeoutMs,
  };
  // Side by side: the answer waits for one timeout at most, not one per token.
  const results = await Promise.all(
    held.map(async ({ hint, token }) => {
      try {
        await revokeToken(services, { ...request, token, tokenTypeHint: hint });
        return null;
      } catch (error) {
        const refused = error instanceof RevocationError ? error : new RevocationError('unreachable');
        return { hint, refused };
      }
    }),
  );
  const failure = results.find((result) => result !== null);
  if (!failure) return { outcome: 'revoked', tokens: held.map(({ hint }) => hint) };
  return {
    outcome: 'failed',
    tokenTypeHint: failure.hint,
    reason: failure.refused.reason,
    status: failure.refused.status,
    ehrError: failure.refused.ehrError,
  };
}

/** The deleted tokens, opened, each with its RFC 7009 `token_type_hint`. */
function heldTokens(
  { sealer }: Pick<Services, 'sealer'>,
  launchId: string,
  ended: EndedLaunch,
): { hint: TokenTypeHint; token: string }[] {
  const held: { hint: TokenTypeHint; token: string }[] = [];
  if (ended.refreshToken) {
    const token = sealer.open(ended.refreshToken, tokenContext(launchId, 'refresh_token'));
    held.push({ hint: 'refresh_token', token });
  }
  if (ended.accessToken) {
    const token = sealer.open(ended.accessToken, tokenContext(launchId, 'access_token'));
    held.push({ hint: 'access_token', token });
  }
  return held;
}
