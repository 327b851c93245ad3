/**
 * `GET /api/auth/smart/launch-callback` — the Redirect URI. Takes the state for good, then either
 * records the EHR's refusal or exchanges the code, and sends the clinician on to the app with
 * `mb_launch`. Every failure leaves the launch `failed` with a reason; nothing is half-written.
 */
import * as oauth from 'oauth4webapi';
import type { LookupCache } from '../cache/lookup-cache.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { urlPolicyFor } from '../http/url-policy.ts';
import type { Services } from '../services.ts';
import { openClient } from '../settings/connections.ts';
import { findFhirSource } from '../settings/fhir-sources.ts';
import { type LaunchSettings, resolveLaunchSettings } from '../settings/launch-settings.ts';
import { exchangeCode, TokenExchangeError } from '../smart/code-exchange.ts';
import { cleanErrorDescription } from '../smart/error-description.ts';
import { failLaunch } from './ehr-launches.ts';
import { completeLaunch } from './launch-completion.ts';
import { consumeLaunchState, type PendingLaunchState } from './launch-state.ts';
import type { CallbackQuery } from './schemas.ts';
import { appLaunchRedirect, jwksUrl } from './urls.ts';

/** Returns the app launch URL (with `mb_launch`) to redirect the browser to. */
export async function finishLaunch(
  services: Services,
  query: CallbackQuery,
  callbackUrl: URL,
  requestId: string,
  settings?: LookupCache<LaunchSettings>,
): Promise<string> {
  const began = performance.now();
  const { db, sealer } = services;
  const state = query.state;
  if (!state) refuseLaunchAtCallback(services, callbackUrl);
  const pending = state ? await consumeLaunchState(db, sealer, state) : null;
  if (!pending) throw new ChartsideError('invalid_state');

  const ehrError = param(query.error);
  if (ehrError) {
    // Cerner sends `error` and `error_uri`, never `error_description` (docs/cerner.md §8); others do.
    const ehrErrorUri = param(query.error_uri);
    const ehrErrorDescription = cleanErrorDescription(param(query.error_description));
    await failLaunch(db, pending.launchId, {
      code: 'oauth_error',
      ehrError,
      ehrErrorUri,
      ehrErrorDescription,
      requestId,
    });
    await countFailure(services, pending, 'oauth_error');
    throw new ChartsideError('oauth_error', {
      message: ehrError === 'access_denied' ? 'The launch was not approved in the EHR.' : undefined,
      details: {
        'EHR error': ehrError,
        'EHR error description': ehrErrorDescription,
        'EHR error URI': ehrErrorUri,
      },
    });
  }
  if (!param(query.code)) {
    await failLaunch(db, pending.launchId, {
      code: 'oauth_error',
      reason: 'callback without code',
      requestId,
    });
    await countFailure(services, pending, 'oauth_error');
    throw new ChartsideError('oauth_error', { message: 'The EHR returned neither a code nor an error.' });
  }

  try {
    const { appLaunchUrl, tokens, source, ehrMs } = await exchange(services, pending, callbackUrl, settings);
    const completed = await completeLaunch(
      db,
      sealer,
      { id: pending.launchId, orgId: pending.orgId, fhirSourceId: pending.fhirSourceId },
      { ...tokens, fhirUser: tokens.fhirUser && fhirUserReference(tokens.fhirUser) },
      requestId,
    );
    if (!completed) throw new ChartsideError('invalid_state');
    services.metrics.launchReady(source, {
      sinceStartSeconds: (Date.now() - Date.parse(pending.startedAt)) / 1000,
      gatewaySeconds: (performance.now() - began - ehrMs) / 1000,
      ehrSeconds: ehrMs / 1000,
    });
    return appLaunchRedirect(appLaunchUrl, pending.launchId);
  } catch (error) {
    if (error instanceof ChartsideError && error.code === 'invalid_state') throw error;
    const body = error instanceof TokenExchangeError ? oauthErrorBody(error.cause) : null;
    await failLaunch(db, pending.launchId, {
      code: 'token_exchange_failed',
      ehrError: body?.error ?? null,
      ehrErrorUri: body?.errorUri ?? null,
      ehrErrorDescription: body?.description ?? null,
      reason: error instanceof Error ? error.message : 'unknown',
      requestId,
    });
    await countFailure(services, pending, 'token_exchange_failed');
    throw new ChartsideError('token_exchange_failed', {
      // The clinician gets the EHR's error code and what to do about it. The error URI (long, for
      // an administrator) stays on the launch: the console's Launches page shows it.
      message: body?.error === 'invalid_client' ? CREDENTIALS_REFUSED.message : undefined,
      details: {
        'EHR error': body?.error ?? null,
        'EHR error description': body?.description ?? null,
        ...(body?.error === 'invalid_client' ? { 'What to do': CREDENTIALS_REFUSED.whatToDo } : {}),
      },
      cause: error,
    });
  }
}

async function exchange(
  services: Services,
  pending: PendingLaunchState,
  callbackUrl: URL,
  settings?: LookupCache<LaunchSettings>,
) {
  const { http, keyRing, jwks } = services;
  // The same checks as the first hop (settings/launch-settings.ts), by the source the launch
  // started with: an org unlinked or a connection changed since then fails the launch.
  const resolve = () => resolveLaunchSettings(services, pending.orgId, { sourceId: pending.fhirSourceId });
  const key = `source\n${pending.orgId}\n${pending.fhirSourceId}`;
  const { source, connection, client, smart } = await (settings
    ? settings.getOrLoad(key, resolve)
    : resolve());
  // The code was issued to the client that started the launch; credentials changed since → fail.
  if (client.clientId !== pending.clientId) throw new Error('the connection changed during the launch');
  const ehrStart = performance.now();
  const tokens = await exchangeCode(
    { http, keyRing, jwks },
    {
      smart,
      client: openClient(client, jwksUrl(services.config)),
      callbackUrl,
      redirectUri: pending.redirectUri,
      codeVerifier: pending.codeVerifier,
      policy: urlPolicyFor(source, services.config.allowPrivateUpstreams),
    },
  );
  return {
    appLaunchUrl: connection.appLaunchUrl,
    tokens,
    source: { vendor: source.vendor, environment: source.environment },
    ehrMs: performance.now() - ehrStart,
  };
}

/** The metrics' count of a failed launch, labelled with its source (failures are not the hot path). */
async function countFailure(services: Services, pending: PendingLaunchState, code: string) {
  const source = await findFhirSource(services.db, pending.fhirSourceId).catch(() => undefined);
  services.metrics.launchFailed(
    { vendor: source?.vendor ?? 'unknown', environment: source?.environment ?? 'unknown' },
    code,
  );
}

/** `https://…/r4/<tenant>/Practitioner/123` → `Practitioner/123` (the shape apps get). */
export function fhirUserReference(fhirUser: string): string {
  const match =
    /(?:^|\/)((?:Practitioner|Patient|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(
      fhirUser,
    );
  return match?.[1] ?? fhirUser;
}

function oauthErrorBody(
  cause: unknown,
): { error: string; errorUri: string | null; description: string | null } | null {
  if (!(cause instanceof oauth.ResponseBodyError)) return null;
  const errorUri = typeof cause.cause.error_uri === 'string' ? cause.cause.error_uri : null;
  return { error: cause.error, errorUri, description: cleanErrorDescription(cause.error_description) };
}

/** One response parameter: empty, repeated (RFC 6749 §3.1) or over-long counts as not sent. */
function param(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && value !== '' && value.length <= 4096 ? value : null;
}

/** The token endpoint answered invalid_client: a wrong or rotated client secret, or a key the EHR cannot check. */
const CREDENTIALS_REFUSED = {
  message: 'The EHR refused this app’s credentials.',
  whatToDo:
    'A wrong or rotated client secret, or a signing key the EHR cannot check. An administrator updates the secret in Chartside’s connection (or the JWKS URL registered in the EHR); then launch again.',
};

/**
 * The guide's pitfall: the SMART Launch URI registered as the callback path. The EHR then opens
 * this URL with `iss` and `launch` and no state; say what is wrong instead of "unknown sign-in
 * link". Nothing is stored and nothing is sent anywhere.
 */
function refuseLaunchAtCallback(services: Services, callbackUrl: URL): void {
  const params = callbackUrl.searchParams;
  if (!params.has('iss') || !params.has('launch')) return;
  throw new ChartsideError('invalid_launch_request', {
    message: 'The SMART Launch URI registered in the EHR is Chartside’s Redirect URI (the callback path).',
    details: {
      'What happened':
        'The EHR opened the Redirect URI to launch the app; it only answers the EHR’s authorize step.',
      'SMART Launch URI to register': `${services.config.publicUrl}/api/auth/smart/launch/<your-org-id>`,
    },
  });
}
