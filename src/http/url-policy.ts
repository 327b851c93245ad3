/**
 * Which EHR URLs we may call (the caller's {@link UrlPolicy}): absolute, https (loopback http
 * only for sandbox sources), no credentials, and for production sources public addresses only —
 * by name here, by resolved address in the outbound wrapper's DNS lookup (SSRF).
 */
import type { LookupAddress } from 'node:dns';
import { ChartsideError } from '../errors/catalogue.ts';
import { isLocalHostName, isPublicAddress } from './addresses.ts';

export interface UrlPolicy {
  /** Allow `http:` on loopback hosts (sandbox sources and tests only). */
  readonly allowLoopbackHttp: boolean;
  /**
   * Production FHIR sources: the host must be, and resolve only to, public addresses (no
   * private, loopback, link-local, unique-local, CGNAT or metadata address). Refusals are
   * `ehr_endpoint_not_allowed`, before any connection is made.
   */
  readonly publicAddressesOnly?: boolean;
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
  if (policy.publicAddressesOnly && isLocalHostName(url.hostname)) throw notPublic(what);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && policy.allowLoopbackHttp && isLoopbackHost(url.hostname)) return url;
  throw new ChartsideError('insecure_endpoint', { message: `The EHR’s ${what} must use https.` });
}

/** A `net.connect` lookup that only ever returns checked, public addresses. */
export function publicOnlyLookup(resolveHost: ResolveHost) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolveHost(hostname).then(
      (addresses) => {
        if (addresses.length === 0 || addresses.some(({ address }) => !isPublicAddress(address))) {
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
