/**
 * Rate limits and signing-key rotation timings (see {@link SecuritySettings}); part of Config.
 */
import { ConfigError } from './config-error.ts';

/** Requests per minute per client on each limited surface; 0 turns that surface's limit off. */
export interface RateLimits {
  /** SMART launch and callback, per client IP (`CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE`, 600). */
  readonly launchPerMinute: number;
  /** App API (`/launch-contexts`), per API key, else IP (`CHARTSIDE_RATE_LIMIT_API_PER_MINUTE`, 1200). */
  readonly apiPerMinute: number;
  /** FHIR proxy, per API key, else IP (`CHARTSIDE_RATE_LIMIT_FHIR_PER_MINUTE`, 6000). */
  readonly fhirPerMinute: number;
  /** CDS Hooks relay, per client IP (`CHARTSIDE_RATE_LIMIT_CDS_PER_MINUTE`, 3000). */
  readonly cdsPerMinute: number;
  /** Console sign-in form posts, per client IP (`CHARTSIDE_RATE_LIMIT_SIGN_IN_PER_MINUTE`, 30). */
  readonly signInPerMinute: number;
}

export interface SecuritySettings {
  readonly rateLimits: RateLimits;
  /**
   * `chartside keys rotate`: a new key is published in our JWKS this long before it starts
   * signing (`CHARTSIDE_KEY_PUBLICATION_LEAD_SECONDS`, default 3600), because EHRs cache our
   * JWKS and would refuse an assertion signed with a kid they have not fetched yet.
   */
  readonly keyPublicationLeadSeconds: number;
  /**
   * The replaced key stays in the JWKS this long after it stops signing
   * (`CHARTSIDE_KEY_RETIREMENT_GRACE_SECONDS`, default 86400). Everything we sign lives at most
   * 5 minutes, so a day covers stale processes, clock skew and a window to notice a problem,
   * without keeping a possibly compromised key trusted for long.
   */
  readonly keyRetirementGraceSeconds: number;
  /** How often each process re-reads the signing keys (`CHARTSIDE_KEY_RELOAD_SECONDS`, default 30). */
  readonly keyReloadSeconds: number;
}

/**
 * In `test` mode the rate limits are off unless set: test suites send hundreds of launches a
 * minute from 127.0.0.1. Development and production get the defaults.
 */
export function securitySettings(env: NodeJS.ProcessEnv, mode: string): SecuritySettings {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
    return n;
  };
  const perMinute = (name: string, fallback: number) =>
    int(name, mode === 'test' ? 0 : fallback, 0, 1_000_000);
  return {
    rateLimits: Object.freeze({
      launchPerMinute: perMinute('CHARTSIDE_RATE_LIMIT_LAUNCH_PER_MINUTE', 600),
      apiPerMinute: perMinute('CHARTSIDE_RATE_LIMIT_API_PER_MINUTE', 1200),
      fhirPerMinute: perMinute('CHARTSIDE_RATE_LIMIT_FHIR_PER_MINUTE', 6000),
      cdsPerMinute: perMinute('CHARTSIDE_RATE_LIMIT_CDS_PER_MINUTE', 3000),
      signInPerMinute: perMinute('CHARTSIDE_RATE_LIMIT_SIGN_IN_PER_MINUTE', 30),
    }),
    keyPublicationLeadSeconds: int('CHARTSIDE_KEY_PUBLICATION_LEAD_SECONDS', 3600, 0, 604_800),
    // At least 5 minutes: the life of the longest-lived thing we sign.
    keyRetirementGraceSeconds: int('CHARTSIDE_KEY_RETIREMENT_GRACE_SECONDS', 86_400, 300, 2_592_000),
    keyReloadSeconds: int('CHARTSIDE_KEY_RELOAD_SECONDS', 30, 1, 3600),
  };
}
