import { ChartsideError } from '../errors/catalogue.ts';
import { isLoopbackHost } from '../http/url-policy.ts';

/**
 * An absolute URL an admin typed: https, or http on loopback when `allowLoopbackHttp` (dev and
 * sandbox sources). Returns the URL as typed (trimmed) so `iss` comparisons stay byte for byte.
 */
export function validateAdminUrl(value: string, param: string, allowLoopbackHttp: boolean): string {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ChartsideError('invalid_data', { param, message: `${param} must be an absolute URL.` });
  }
  if (url.username || url.password) {
    throw new ChartsideError('invalid_data', {
      param,
      message: `${param} must not contain a user name or password.`,
    });
  }
  if (url.hash)
    throw new ChartsideError('invalid_data', { param, message: `${param} must not have a #fragment.` });
  if (url.protocol === 'https:') return trimmed;
  if (url.protocol === 'http:' && allowLoopbackHttp && isLoopbackHost(url.hostname)) return trimmed;
  throw new ChartsideError('invalid_data', {
    param,
    message: allowLoopbackHttp
      ? `${param} must use https (http is allowed only for localhost).`
      : `${param} must use https.`,
  });
}

export function requireText(value: string | undefined, param: string, maxLength = 200): string {
  const trimmed = value?.trim() ?? '';
  if (!trimmed) throw new ChartsideError('invalid_data', { param, message: `${param} is required.` });
  if (trimmed.length > maxLength) {
    throw new ChartsideError('invalid_data', {
      param,
      message: `${param} must be at most ${maxLength} characters.`,
    });
  }
  return trimmed;
}

export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], param: string): T {
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ChartsideError('invalid_data', {
    param,
    message: `${param} must be one of ${allowed.join(', ')}.`,
  });
}
