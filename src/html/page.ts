import { html, SafeHtml } from './escape.ts';

const STYLE = `
:root{color-scheme:light;--ink:#1d2733;--muted:#5b6876;--line:#d9e0e7;--accent:#0b6bcb;--bad:#b42318;--bg:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line);padding:.75rem 1.5rem;font-weight:600}
main{max-width:46rem;margin:2rem auto;padding:0 1.5rem}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.5rem 1.75rem}
h1{font-size:1.35rem;margin:0 0 .75rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:1rem 0}
dt{color:var(--muted)}dd{margin:0;word-break:break-all;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92rem}
.error h1{color:var(--bad)}.muted{color:var(--muted);font-size:.9rem}a{color:var(--accent)}
`;

/** The shell of every server-rendered page (error pages, launch-debug). Framing is refused by headers. */
export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Chartside</title>
<style>${new SafeHtml(STYLE)}</style></head>
<body><header>Chartside</header><main>${body}</main></body></html>`.value;
}
