/**
 * Production hardening settings (see {@link HardeningSettings}); part of Config.
 */
import { type AddressRanges, parseAddressRanges } from '../http/address-ranges.ts';
import { ConfigError } from './config-error.ts';

export interface HardeningSettings {
  /**
   * `/launch-debug`, the built-in App launch URL page (`CHARTSIDE_LAUNCH_DEBUG=on|off`; default
   * on in development and tests, off in production). Off, it is not routed at all and answers
   * like any unknown path. On in production, it shows a launch only to a signed-in console user
   * of the launch's organization.
   */
  readonly launchDebugPage: boolean;
  /**
   * Private address ranges production sources may reach (`CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS`,
   * comma-separated CIDRs such as `10.0.0.0/8,fd00::/8`; default none): on-premises EHRs on a
   * VPN. Still https only. Recommendation: the narrowest ranges that hold the EHR's hosts.
   */
  readonly allowPrivateUpstreams: AddressRanges;
}

export function hardeningSettings(env: NodeJS.ProcessEnv, mode: string): HardeningSettings {
  return {
    launchDebugPage: parseOnOff(env.CHARTSIDE_LAUNCH_DEBUG, mode !== 'production', 'CHARTSIDE_LAUNCH_DEBUG'),
    allowPrivateUpstreams: parsePrivateUpstreams(env.CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS),
  };
}

function parseOnOff(value: string | undefined, fallback: boolean, name: string): boolean {
  if (value === undefined || value === '') return fallback;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new ConfigError(`${name} must be on or off`);
}

function parsePrivateUpstreams(value: string | undefined): AddressRanges {
  try {
    return parseAddressRanges(value);
  } catch (error) {
    throw new ConfigError(`CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS: ${(error as Error).message}`);
  }
}
