/**
 * SMART styling: the EHR may give the app a `smart_style_url`, a JSON document of colors, sizes and
 * fonts, so the app looks at home inside the EHR. Fetched server-side, kept 10 minutes per URL,
 * and turned into CSS custom properties; a value that is not plainly a color, a size or a font
 * list is left out (it ends up inside a `<style>` element).
 * @see https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#styling
 */

/** The SMART style properties this app uses, as CSS custom properties. */
const PROPERTIES: Readonly<Record<string, { css: string; kind: 'color' | 'size' | 'font' }>> = {
  color_background: { css: '--background', kind: 'color' },
  color_error: { css: '--error', kind: 'color' },
  color_highlight: { css: '--highlight', kind: 'color' },
  color_success: { css: '--success', kind: 'color' },
  color_text: { css: '--text', kind: 'color' },
  dim_border_radius: { css: '--radius', kind: 'size' },
  dim_font_size: { css: '--font-size', kind: 'size' },
  dim_spacing_size: { css: '--spacing', kind: 'size' },
  font_family_body: { css: '--font-body', kind: 'font' },
  font_family_heading: { css: '--font-heading', kind: 'font' },
};

const PLAIN: Record<'color' | 'size' | 'font', RegExp> = {
  color: /^(#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\([\d\s.,%]+\))$/i,
  size: /^\d{1,4}(\.\d{1,3})?(px|em|rem|%|pt)$/,
  font: /^[\w\s,'"-]{1,200}$/,
};

const KEEP_MS = 10 * 60_000;
const MAX_BYTES = 64 * 1024;

/** `--name: value;` lines for the style's plain values. */
export function styleDeclarations(style: Readonly<Record<string, unknown>>): string[] {
  const lines: string[] = [];
  for (const [name, { css, kind }] of Object.entries(PROPERTIES)) {
    const value = style[name];
    if (typeof value === 'string' && PLAIN[kind].test(value.trim())) lines.push(`${css}: ${value.trim()};`);
  }
  return lines;
}

export type StyleLoader = (url: string | null | undefined) => Promise<string[]>;

/** Fetch (or reuse) the style at `url`; none when there is no URL or it cannot be read. */
export function createStyleLoader(fetchImpl: typeof fetch = fetch): StyleLoader {
  const kept = new Map<string, { lines: string[]; until: number }>();
  return async (url) => {
    if (!url || !/^https?:\/\//i.test(url)) return [];
    const hit = kept.get(url);
    if (hit && hit.until > Date.now()) return hit.lines;
    let lines: string[] = [];
    try {
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(2000), redirect: 'error' });
      const text = response.ok ? await response.text() : '';
      if (text.length <= MAX_BYTES && text !== '')
        lines = styleDeclarations(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // A style the EHR cannot serve leaves the app in its own colors.
    }
    if (kept.size > 100) kept.clear();
    kept.set(url, { lines, until: Date.now() + KEEP_MS });
    return lines;
  };
}
