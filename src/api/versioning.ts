import { ChartsideError } from '../errors/catalogue.ts';

/** API versions this build answers. A request without `Version` gets the newest. */
export const API_VERSIONS = ['2026-11-29'] as const;

export function checkApiVersion(header: string | string[] | undefined): string {
  if (header === undefined) return API_VERSIONS[API_VERSIONS.length - 1] as string;
  if (typeof header !== 'string' || !(API_VERSIONS as readonly string[]).includes(header)) {
    throw new ChartsideError('unsupported_api_version', {
      param: 'Version',
      message: `Unsupported API version. Supported: ${API_VERSIONS.join(', ')}.`,
    });
  }
  return header;
}
