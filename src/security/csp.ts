/**
 * Content-Security-Policy values for the gateway's pages, written in one place so that each page's
 * policy reads as a list of what it may do. (The sandbox is a separate system and writes its own.)
 * @see https://www.w3.org/TR/CSP3/
 */

/** What a page needs beyond nothing. Every policy starts from `default-src 'none'`. */
export interface PagePolicy {
  /** Scripts: none unless listed; `self` is our own files (never inline script). */
  scripts?: 'self';
  /**
   * Stylesheets: our own files, or the page's own `<style>` (pages that have no stylesheet to link),
   * or both (a bundled viewer that sets style attributes).
   */
  styles: 'self' | 'inline' | readonly ['self', 'inline'];
  /** Images: our own files, and `data:` URLs for a bundled viewer's icons. */
  images?: 'self' | readonly ['self', 'data'];
  /** fetch/XHR (htmx swaps parts of console pages). */
  connect?: 'self';
  /** Where the page's forms may post. */
  forms: 'self' | 'none';
  /**
   * `none`: no one may frame the page. Left out, security/headers.ts decides by path: the launch
   * hops and /launch-debug may run inside the EHR's frame, every other page may not.
   */
  framing?: 'none';
}

const SOURCE = { self: "'self'", none: "'none'", inline: "'unsafe-inline'", data: 'data:' } as const;

type Source = keyof typeof SOURCE;

function directive(name: string, source: Source | readonly Source[]): string {
  return `${name} ${[source]
    .flat()
    .map((one) => SOURCE[one])
    .join(' ')}`;
}

/**
 * The header value for a page. Directives come in CSP3's order (fetch directives, then `base-uri`,
 * then the navigation directives), so two policies that allow the same things read the same.
 * `base-uri 'none'` always: none of our pages uses `<base>`, and an injected one would redirect
 * every relative link.
 */
export function contentSecurityPolicy(policy: PagePolicy): string {
  const directives: [string, Source | readonly Source[] | undefined][] = [
    ['default-src', 'none'],
    ['script-src', policy.scripts],
    ['style-src', policy.styles],
    ['img-src', policy.images],
    ['connect-src', policy.connect],
    ['base-uri', 'none'],
    ['form-action', policy.forms],
    ['frame-ancestors', policy.framing],
  ];
  return directives
    .flatMap(([name, source]) => (source === undefined ? [] : [directive(name, source)]))
    .join('; ');
}

/** The gateway's page policies, by page. */
export const CSP = {
  /**
   * The console: only our own files run, style or are fetched; forms post back to us; never
   * framed (clickjacking: its pages hold actions to click).
   */
  consolePage: contentSecurityPolicy({
    scripts: 'self',
    styles: 'self',
    images: 'self',
    connect: 'self',
    forms: 'self',
    framing: 'none',
  }),
  /** The HTML error page (errors/render.ts) of the launch hops and /launch-debug: no script, inline style. */
  errorPage: contentSecurityPolicy({ styles: 'inline', forms: 'self' }),
  /** /launch-debug (the dev App launch URL): no script, its own inline style, no form posts anywhere. */
  launchDebug: contentSecurityPolicy({ styles: 'inline', forms: 'none' }),
  /**
   * /docs/api: the bundled Swagger UI, served by us (no CDN). Its scripts are our files; it sets
   * style attributes and draws icons from data: URLs; it fetches /openapi.json and, for "Try it
   * out", the API itself; its forms post nowhere. Never framed.
   */
  apiDocs: contentSecurityPolicy({
    scripts: 'self',
    styles: ['self', 'inline'],
    images: ['self', 'data'],
    connect: 'self',
    forms: 'none',
    framing: 'none',
  }),
} as const;

/**
 * Clickjacking: `policy` with `frame-ancestors 'none'` added, unless it already says who may frame
 * the page; an HTML answer without a policy gets that directive alone.
 */
export function refuseFraming(policy: string | undefined): string {
  const refusal = directive('frame-ancestors', 'none');
  if (!policy) return refusal;
  return /frame-ancestors/.test(policy) ? policy : `${policy}; ${refusal}`;
}
