/** URL checks shared by the registrations of every profile (config.ts, profile-config.ts). */

/**
 * An absolute URI: a scheme plus a host or a path. `app://` is not absolute, `app://callback`
 * is (docs/cerner.md §3, redirect_uri row).
 */
export function isAbsoluteUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.host !== '' || url.pathname.replace(/^\/+/, '') !== '';
  } catch {
    return false;
  }
}

export function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
