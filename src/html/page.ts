import { html, SafeHtml } from './escape.ts';

/**
 * The look every server-rendered page shares: error pages, launch-debug and the admin console
 * (which serves this plus its own rules as /admin/assets/console.css).
 */
export const BASE_STYLE = `
:root{color-scheme:light;--ink:#1d2733;--muted:#5b6876;--line:#dde3e9;--field:#aab6c2;--accent:#0b6bcb;--accent-soft:#e8f1fb;--bad:#b42318;--bad-soft:#fef3f2;--ok:#067647;--ok-soft:#ecfdf3;--warn:#93370d;--warn-soft:#fffaeb;--bg:#f5f7f9;--card:#fff;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
a{color:var(--accent);text-underline-offset:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.topbar{display:flex;align-items:center;gap:1rem;flex-wrap:wrap;background:var(--card);border-bottom:1px solid var(--line);padding:.65rem 1.5rem;min-height:3.1rem}
.brand{display:inline-flex;align-items:center;gap:.55rem;font-weight:650;color:var(--ink);text-decoration:none;letter-spacing:.01em}
.brand::before{content:"";width:.8rem;height:.8rem;border-radius:3px;background:var(--accent);box-shadow:.3rem .3rem 0 -.05rem #7fb2e5}
.page{max-width:48rem;margin:2.25rem auto;padding:0 1.5rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.5rem 1.75rem;margin:0 0 1.25rem}
h1{font-size:1.4rem;line-height:1.3;margin:0 0 .75rem;font-weight:650}
h2{font-size:1.05rem;margin:0 0 .75rem;font-weight:650}
p{margin:0 0 .75rem}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.45rem 1.5rem;margin:1rem 0 0}
dt{color:var(--muted)}
dd{margin:0;overflow-wrap:anywhere;font-family:var(--mono);font-size:.88rem;padding-top:.1rem}
code{font-family:var(--mono);font-size:.88em;overflow-wrap:anywhere}
.muted{color:var(--muted);font-size:.9rem}
.eyebrow{color:var(--muted);font-size:.8rem;font-weight:600;letter-spacing:.06em;text-transform:uppercase;margin:0 0 .35rem}
.status-ok{color:var(--ok)}.status-bad{color:var(--bad)}
.error h1{color:var(--bad)}
@media (max-width:640px){.page{margin:1.25rem auto;padding:0 1rem}.card{padding:1.1rem 1.15rem}dl{grid-template-columns:minmax(0,1fr);gap:.1rem}dd{margin-bottom:.6rem}}
`;

/** The shell of the gateway's own pages (error pages, launch-debug). Framing is refused by headers. */
export function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>${title} · Chartside</title>
<style>${new SafeHtml(BASE_STYLE)}</style></head>
<body><header class="topbar"><span class="brand">Chartside</span></header><main class="page">${body}</main></body></html>`
    .value;
}
