/** What a go-live check reports, and what the checks need (checks.ts runs them, org-checks.ts has the org's). */
import type { Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import type { OutboundHttp } from '../http/outbound.ts';
import type { KeyRing } from '../keys/signing-keys.ts';

/** The checks, in the order they run and are reported. The names are a contract (scripts read them). */
export const GO_LIVE_CHECKS = [
  'public_url_https',
  'public_url_answers',
  'jwks_reachable',
  'production_sources_discovery',
  'production_credentials',
  'app_launch_url',
  'launch_uri',
] as const;
export type GoLiveCheckName = (typeof GO_LIVE_CHECKS)[number];

export interface GoLiveCheck {
  readonly name: GoLiveCheckName;
  readonly ok: boolean;
  /** What was found and, when it failed, what to fix. Plain text: renderers escape it. */
  readonly detail: string;
}

export interface GoLiveReport {
  readonly ok: boolean;
  readonly checks: readonly GoLiveCheck[];
}

/** What the checks need: the gateway's {@link Services} fit, and the CLI builds the same. */
export interface GoLiveDeps {
  readonly db: Db;
  readonly sealer: Sealer;
  readonly http: OutboundHttp;
  readonly keyRing: Pick<KeyRing, 'signingKey'>;
  readonly config: Pick<
    Config,
    'publicUrl' | 'platformClients' | 'allowPrivateUpstreams' | 'outboundTimeoutMs'
  >;
}
