/**
 * The console's static files, read once at start-up and served with a content hash in the URL,
 * so they can be cached for a year. htmx comes from the installed package (no build step).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BASE_STYLE } from '../html/page.ts';
import { CONSOLE_SCRIPT } from './console-script.ts';
import { CONSOLE_STYLE } from './console-style.ts';

export interface Asset {
  readonly path: string;
  readonly body: string;
  readonly type: string;
}

export interface ConsoleAssets {
  readonly css: Asset;
  readonly js: Asset;
  readonly htmx: Asset;
  readonly icon: Asset;
}

/** The brand mark of the top bar, as the tab icon. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="4" y="4" width="11" height="11" rx="2.5" fill="#7fb2e5"/><rect x="1" y="1" width="11" height="11" rx="2.5" fill="#0b6bcb"/></svg>`;

let loaded: ConsoleAssets | undefined;

export function consoleAssets(): ConsoleAssets {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const htmx = readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8');
  loaded = {
    css: asset('console.css', BASE_STYLE + CONSOLE_STYLE, 'text/css; charset=utf-8'),
    js: asset('console.js', CONSOLE_SCRIPT, 'text/javascript; charset=utf-8'),
    htmx: asset('htmx.min.js', htmx, 'text/javascript; charset=utf-8'),
    icon: asset('icon.svg', ICON, 'image/svg+xml'),
  };
  return loaded;
}

function asset(name: string, body: string, type: string): Asset {
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { path: `/admin/assets/${name}?v=${version}`, body, type };
}
