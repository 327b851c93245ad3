/**
 * The go-live check: is this deployment, for one organization, ready for the guide's "Going to
 * Production"? One function answers both `chartside doctor` and the console's Go-live checklist,
 * so the two can never disagree. It changes nothing: no rows written, no audit event, no cached
 * discovery refreshed.
 *
 * The checks that call out (our own PUBLIC_URL twice, each production EHR's discovery) run at
 * the same time, each bounded by the outbound timeout, so a run takes about as long as the
 * slowest of them rather than their sum.
 */
import type { Config } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError, readJsonBody } from '../http/outbound.ts';
import { isLoopbackHost, type UrlPolicy } from '../http/url-policy.ts';
import { type KeyRing, SIGNING_ALGORITHMS } from '../keys/signing-keys.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../launch/urls.ts';
import { listLinkedSources } from '../settings/org-links.ts';
import { getOrganization } from '../settings/organizations.ts';
import { appLaunchUrlCheck, productionCredentialsCheck, productionDiscoveryCheck } from './org-checks.ts';
import type { GoLiveCheck, GoLiveDeps, GoLiveReport } from './report.ts';

export {
  GO_LIVE_CHECKS,
  type GoLiveCheck,
  type GoLiveCheckName,
  type GoLiveDeps,
  type GoLiveReport,
} from './report.ts';

/**
 * Run every check for `orgId`. An unknown organization throws `resource_not_found`; a failing
 * check is a result, not an error.
 */
export async function runGoLiveChecks(deps: GoLiveDeps, orgId: string): Promise<GoLiveReport> {
  await getOrganization(deps.db, orgId);
  const production = (await listLinkedSources(deps.db, orgId)).filter(
    (source) => source.environment === 'production',
  );
  const checks = await Promise.all([
    publicUrlHttps(deps.config),
    publicUrlAnswers(deps),
    jwksReachable(deps),
    productionDiscoveryCheck(deps, orgId, production),
    productionCredentialsCheck(deps, orgId, production),
    appLaunchUrlCheck(deps, orgId, production),
    launchUriCheck(deps.config, orgId),
  ]);
  return { ok: checks.every((check) => check.ok), checks };
}

function publicUrlHttps(config: Pick<Config, 'publicUrl'>): GoLiveCheck {
  const url = new URL(config.publicUrl);
  const name = 'public_url_https';
  if (url.protocol !== 'https:') {
    return {
      name,
      ok: false,
      detail: `PUBLIC_URL is ${config.publicUrl}: EHRs accept only https for the Launch URI, the Redirect URI and the JWKS URL. Set PUBLIC_URL to the https address the EHR and browsers reach this gateway at.`,
    };
  }
  if (isLoopbackHost(url.hostname)) {
    return {
      name,
      ok: false,
      detail: `PUBLIC_URL is ${config.publicUrl}, this machine's own address: the EHR cannot reach it. Set PUBLIC_URL to the public https address.`,
    };
  }
  return { name, ok: true, detail: `PUBLIC_URL is ${config.publicUrl}.` };
}

/**
 * How we call our own PUBLIC_URL. It is the operator's configuration, not input from the
 * network, so there is no public-address guard: behind a load balancer our own name often
 * resolves to a private address from inside, and that still answers the question. https only,
 * so a plain-http PUBLIC_URL is never probed, except on loopback: a developer's
 * `http://localhost:3000` (which has already failed `public_url_https`) then still learns
 * whether the process answers there.
 */
function ownUrlPolicy(config: Pick<Config, 'publicUrl'>): UrlPolicy {
  const url = new URL(config.publicUrl);
  return { allowLoopbackHttp: url.protocol === 'http:' && isLoopbackHost(url.hostname) };
}

/** Why our own URL is not called at all, or null when it is (see {@link ownUrlPolicy}). */
function notProbed(config: Pick<Config, 'publicUrl'>): string | null {
  const url = new URL(config.publicUrl);
  if (url.protocol === 'https:' || isLoopbackHost(url.hostname)) return null;
  return 'not called, because PUBLIC_URL is plain http (see public_url_https)';
}

async function getOwn(deps: GoLiveDeps, url: string): Promise<Response> {
  return deps.http.fetch(url, {
    headers: { accept: 'application/json' },
    policy: ownUrlPolicy(deps.config),
    timeoutMs: deps.config.outboundTimeoutMs,
  });
}

async function publicUrlAnswers(deps: GoLiveDeps): Promise<GoLiveCheck> {
  const name = 'public_url_answers';
  const url = `${deps.config.publicUrl}/health`;
  const fix = 'Is this gateway running behind PUBLIC_URL, and does the proxy in front of it forward /health?';
  const refused = notProbed(deps.config);
  if (refused) return { name, ok: false, detail: `GET ${url}: ${refused}.` };
  try {
    const response = await getOwn(deps, url);
    if (response.status !== 200) {
      await response.body?.cancel();
      return { name, ok: false, detail: `GET ${url} answered ${response.status}, not 200. ${fix}` };
    }
    const body = await readJsonBody(response, 64 * 1024);
    if ((body as { ok?: unknown } | null)?.ok !== true) {
      return { name, ok: false, detail: `GET ${url} answered 200 but not {"ok": true}: ${fix}` };
    }
    return { name, ok: true, detail: `GET ${url} answered 200 {"ok": true}.` };
  } catch (error) {
    return { name, ok: false, detail: `GET ${url} failed: ${outboundReason(error)}. ${fix}` };
  }
}

const JWKS_FIX = 'It is the JWKS URL registered in the EHR: PUBLIC_URL must reach this gateway.';

/** Our JWKS as the EHR sees it must carry the key we sign client assertions with now. */
async function jwksReachable(deps: GoLiveDeps): Promise<GoLiveCheck> {
  const name = 'jwks_reachable';
  const url = jwksUrl(deps.config);
  const signing = signingKids(deps.keyRing);
  if (signing.length === 0) {
    return {
      name,
      ok: false,
      detail:
        'This deployment has no signing key yet: start the gateway once (it creates them) or run chartside keys import.',
    };
  }
  const refused = notProbed(deps.config);
  if (refused) return { name, ok: false, detail: `GET ${url}: ${refused}.` };
  let served: string[];
  try {
    const response = await getOwn(deps, url);
    if (response.status !== 200) {
      await response.body?.cancel();
      return {
        name,
        ok: false,
        detail: `GET ${url} answered ${response.status}, not 200: the EHR fetches our keys there to verify our client assertions (private_key_jwt). ${JWKS_FIX}`,
      };
    }
    served = kidsOf(await readJsonBody(response));
  } catch (error) {
    return { name, ok: false, detail: `GET ${url} failed: ${outboundReason(error)}. ${JWKS_FIX}` };
  }
  const missing = signing.filter((kid) => !served.includes(kid));
  if (missing.length > 0) {
    return {
      name,
      ok: false,
      detail: `The JWKS at ${url} (${served.length} key${served.length === 1 ? '' : 's'}) does not contain the key this deployment signs with (kid ${missing.join(', ')}). Does PUBLIC_URL point at another deployment, or has this one not picked up a rotation or import yet?`,
    };
  }
  return {
    name,
    ok: true,
    detail: `${url} serves the signing key${signing.length === 1 ? '' : 's'} ${signing.join(', ')}.`,
  };
}

function signingKids(keyRing: Pick<KeyRing, 'signingKey'>): string[] {
  const kids: string[] = [];
  for (const alg of SIGNING_ALGORITHMS) {
    try {
      kids.push(keyRing.signingKey(alg).kid);
    } catch {
      // No active key for this algorithm: nothing of it to find in the JWKS.
    }
  }
  return kids;
}

function kidsOf(jwks: unknown): string[] {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return [];
  return keys
    .map((key) => (key as { kid?: unknown } | null)?.kid)
    .filter((kid): kid is string => typeof kid === 'string');
}

/** The guide's step 4: the Launch URI the EHR's app registration points at, for this org. */
function launchUriCheck(config: Pick<Config, 'publicUrl'>, orgId: string): GoLiveCheck {
  const uri = launchUrl(config, orgId);
  const callbackPath = new URL(callbackUrl(config)).pathname;
  const https = new URL(config.publicUrl).protocol === 'https:';
  return {
    name: 'launch_uri',
    ok: https,
    detail: https
      ? `Register ${uri} as the SMART Launch URI in the EHR. Not the callback ${callbackPath}: that is the Redirect URI.`
      : `The Launch URI would be ${uri}, which is not https: set PUBLIC_URL to the https address first, then register it as the SMART Launch URI (not the callback ${callbackPath}).`,
  };
}

/**
 * Our own words for an outbound failure (the wrapper's and the URL policy's messages), with the
 * system's error code when there is one: ENOTFOUND, ECONNREFUSED or a TLS certificate code is
 * most of what an operator needs to fix PUBLIC_URL.
 */
function outboundReason(error: unknown): string {
  if (error instanceof ChartsideError) return error.message;
  if (!(error instanceof OutboundError)) return 'unexpected error';
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return `${error.message} (${code})`;
    cause = cause.cause;
  }
  return error.message;
}
