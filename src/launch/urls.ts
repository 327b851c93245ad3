import type { Config } from '../config/index.ts';

/** The Redirect URI to register in the EHR (guide: "Redirect URI (the OAuth callback)"). */
export function callbackUrl(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl}/api/auth/smart/launch-callback`;
}

/** The org-scoped SMART Launch URI to register in the EHR. */
export function launchUrl(config: Pick<Config, 'publicUrl'>, orgId: string): string {
  return `${config.publicUrl}/api/auth/smart/launch/${encodeURIComponent(orgId)}`;
}

/** The org-scoped standalone launch link (an app's "Sign in with the EHR"), before its `?iss=`. */
export function standaloneLaunchUrl(config: Pick<Config, 'publicUrl'>, orgId: string): string {
  return `${config.publicUrl}/api/auth/smart/standalone/${encodeURIComponent(orgId)}`;
}

/** The JWKS URL to register in the EHR (guide: Cerner Central "JSON Web Key Set URL"). */
export function jwksUrl(config: Pick<Config, 'publicUrl'>): string {
  return `${config.publicUrl}/api/auth/.well-known/jwks`;
}

/** The app launch URL with `mb_launch` appended, keeping its existing query. */
export function appLaunchRedirect(appLaunchUrl: string, launchId: string): string {
  const url = new URL(appLaunchUrl);
  url.searchParams.set('mb_launch', launchId);
  return url.href;
}
