/**
 * Which EHR URLs we may call (the caller's {@link UrlPolicy}): absolute, https (loopback http
 * only for sandbox sources), no credentials, and for production sources public addresses only
 * (or inside the operator's `CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS` ranges) — by literal host here,
 * by resolved address in the outbound wrapper's DNS lookup (SSRF).
 */
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { ChartsideError } from '../errors/catalogue.ts';
import { type AddressRanges, NO_ADDRESS_RANGES } from './address-ranges.ts';
import { isLocalHostName, isPublicAddress } from './addresses.ts';

export interface UrlPolicy {
  /** Allow `http:` on loopback hosts (sandbox sources and tests only). */
  readonly allowLoopbackHttp: boolean;
  /**
   * Production FHIR sources: the host must be, and resolve only to, public addresses (no
   * private, loopback, link-local, unique-local, CGNAT or metadata address) or addresses in
   * {@link allowedPrivateRanges}. Refusals are `ehr_endpoint_not_allowed`, before any
   * connection is made.
   */
  readonly publicAddressesOnly?: boolean;
  /** With `publicAddressesOnly`: private addresses the operator allows (on-premises EHRs). */
  readonly allowedPrivateRanges?: AddressRanges;
}

/**
 * The one policy constructor for calls on behalf of a FHIR source (discovery, token exchange and
 * refresh, id_token keys, the FHIR proxy, the CDS relay's FHIR reads): only `sandbox` sources
 * may use plain http, and then only on loopback; every other environment gets the public-address
 * guard, widened by the config's allowed ranges (never to plain http).
 */
export function urlPolicyFor(
  source: { readonly environment: string },
  allowedPrivateRanges: AddressRanges,
): UrlPolicy {
  const sandbox = source.environment === 'sandbox';
  return {
    allowLoopbackHttp: sandbox,
    publicAddressesOnly: !sandbox,
    allowedPrivateRanges: sandbox ? NO_ADDRESS_RANGES : allowedPrivateRanges,
  };
}

/**
 * Calls that belong to no FHIR source (the app's CDS service, a CDS client's JWKS): judged by
 * the gateway's mode, production like a production source, development and tests like a sandbox.
 */
export function urlPolicyForMode(mode: string, allowedPrivateRanges: AddressRanges): UrlPolicy {
  return urlPolicyFor(
    { environment: mode === 'production' ? 'production' : 'sandbox' },
    allowedPrivateRanges,
  );
}

/** Whether a resolved (or literal) address may be connected to under a public-only policy. */
export function isAllowedAddress(address: string, policy: UrlPolicy): boolean {
  return isPublicAddress(address) || (policy.allowedPrivateRanges?.has(address) ?? false);
}

/** A DNS lookup with `all: true` (injectable so tests can make a name resolve anywhere). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

/**
 * Check a URL that came from the network or an admin (an `iss`, a discovered endpoint) before
 * we call it: absolute, https (or loopback http when the policy allows), no credentials.
 * Throws `insecure_endpoint`.
 */
export function assertAllowedUrl(value: string, policy: UrlPolicy, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ChartsideError('insecure_endpoint', { message: `The EHR’s ${what} is not an absolute URL.` });
  }
  if (url.username || url.password) {
    throw new ChartsideError('insecure_endpoint', {
      message: `The EHR’s ${what} must not contain credentials.`,
    });
  }
  if (policy.publicAddressesOnly && !isAllowedHost(url.hostname, policy)) throw notPublic(what);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && policy.allowLoopbackHttp && isLoopbackHost(url.hostname)) return url;
  throw new ChartsideError('insecure_endpoint', { message: `The EHR’s ${what} must use https.` });
}

/**
 * The host of a URL before any DNS: a literal must be an allowed address; a name passes here and
 * is judged by what it resolves to, except names that always mean this machine or a metadata
 * service (`localhost`, `*.internal`, `*.local`). Those pass only when the operator allows
 * private ranges — on-premises EHRs are often `ehr.hospital.local` — and then face the same
 * resolved-address check.
 */
function isAllowedHost(hostname: string, policy: UrlPolicy): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (isIP(host)) return isAllowedAddress(host, policy);
  return !isLocalHostName(host) || (policy.allowedPrivateRanges?.cidrs.length ?? 0) > 0;
}

/** A `net.connect` lookup that only ever returns checked addresses: public, or in `allowed`. */
export function checkedLookup(resolveHost: ResolveHost, allowed: AddressRanges) {
  const policy: UrlPolicy = {
    allowLoopbackHttp: false,
    publicAddressesOnly: true,
    allowedPrivateRanges: allowed,
  };
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolveHost(hostname).then(
      (addresses) => {
        if (addresses.length === 0 || addresses.some(({ address }) => !isAllowedAddress(address, policy))) {
          callback(notPublic('FHIR server'), '');
          return;
        }
        const first = addresses[0] as LookupAddress;
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, ''),
    );
  };
}

export function notPublic(what: string): ChartsideError {
  return new ChartsideError('ehr_endpoint_not_allowed', {
    message: `The EHR’s ${what} is on a private or local network address, which production sources may not use.`,
  });
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
