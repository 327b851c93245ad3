/** The console's page shell: top bar, navigation, breadcrumbs, the one-time notice. */
import { html, type SafeHtml } from '../../html/escape.ts';
import { consoleAssets } from '../assets.ts';
import type { Flash } from '../sessions.ts';
import { csrfField } from './components.ts';

export type NavKey =
  | 'launches'
  | 'organizations'
  | 'audit'
  | 'settings'
  | 'connections'
  | 'fhir-sources'
  | 'api-keys'
  | 'webhooks'
  | 'signing-keys';

export interface Viewer {
  readonly email: string;
  readonly orgName: string;
  readonly csrfToken: string;
  /** Platform admins also see Organizations and may change sources and links. */
  readonly role?: 'platform_admin' | 'org_operator';
}

export interface ConsolePageInput {
  title: string;
  viewer: Viewer;
  nav: NavKey | null;
  crumbs?: readonly (readonly [string, string])[];
  flash?: Flash | null;
  body: SafeHtml;
}

/**
 * htmx settings: no eval, same-origin requests only, no page snapshots in localStorage (a page
 * may show a new API key), and swap error pages too (they are whole console pages).
 */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  refreshOnHistoryMiss: true,
  responseHandling: [
    { code: '204', swap: false },
    { code: '...', swap: true },
  ],
});

function head(title: string): SafeHtml {
  const assets = consoleAssets();
  return html`<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Chartside console</title>
<meta name="htmx-config" content="${HTMX_CONFIG}">
<link rel="icon" href="${assets.icon.path}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.css.path}">
<script src="${assets.htmx.path}" defer></script>
<script src="${assets.js.path}" defer></script>
</head>`;
}

const NAV: readonly { key: NavKey; label: string; href: string; sub?: boolean }[] = [
  { key: 'launches', label: 'Launches', href: '/admin/launches' },
  { key: 'audit', label: 'Audit', href: '/admin/audit' },
];
const ORGANIZATIONS_NAV = {
  key: 'organizations' as const,
  label: 'Organizations',
  href: '/admin/organizations',
};
const SETTINGS_NAV: readonly { key: NavKey; label: string; href: string }[] = [
  { key: 'connections', label: 'Connections', href: '/admin/settings/connections' },
  { key: 'fhir-sources', label: 'FHIR sources', href: '/admin/settings/fhir-sources' },
  { key: 'api-keys', label: 'API keys', href: '/admin/settings/api-keys' },
  { key: 'webhooks', label: 'Webhooks', href: '/admin/settings/webhooks' },
  { key: 'signing-keys', label: 'Signing keys', href: '/admin/settings/signing-keys' },
];

function navLink(item: { key: NavKey; label: string; href: string }, current: NavKey | null): SafeHtml {
  return html`<li><a href="${item.href}"${item.key === current ? html` aria-current="page"` : ''}>${item.label}</a></li>`;
}

export function notice(flash: Flash | null | undefined): SafeHtml {
  if (!flash?.notice) return html``;
  return html`<div class="notice ${flash.tone ?? 'ok'}" role="status">${flash.notice}</div>`;
}

export function consolePage(input: ConsolePageInput): string {
  const { viewer } = input;
  const crumbs = input.crumbs ?? [];
  return html`<!doctype html>
<html lang="en">${head(input.title)}
<body hx-headers="${JSON.stringify({ 'X-CSRF-Token': viewer.csrfToken })}">
<a class="skip" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="/admin">Chartside</a><span class="org">${viewer.orgName}</span>
  <div class="who"><span class="badge role" id="viewer-role">${viewer.role === 'platform_admin' ? 'Platform admin' : 'Org operator'}</span><span class="email">${viewer.email}</span>
    <form method="post" action="/admin/sign-out">${csrfField(viewer.csrfToken)}<button type="submit" class="link">Sign out</button></form>
  </div>
</header>
<div class="shell">
  <nav class="side" aria-label="Console">
    <ul>${NAV.map((item) => navLink(item, input.nav))}${viewer.role === 'platform_admin' ? navLink(ORGANIZATIONS_NAV, input.nav) : ''}</ul>
    <div class="sep"></div>
    <ul>
      <li><a href="/admin/settings"${input.nav === 'settings' ? html` aria-current="page"` : ''}>Settings</a>
        <ul class="sub">${SETTINGS_NAV.map((item) => navLink(item, input.nav))}</ul>
      </li>
    </ul>
  </nav>
  <main class="content" id="main" tabindex="-1">
    ${crumbs.length > 0 ? html`<nav class="crumbs" aria-label="Breadcrumb"><ol>${crumbs.map(([label, href]) => html`<li><a href="${href}">${label}</a></li>`)}</ol></nav>` : ''}
    ${notice(input.flash)}
    ${input.body}
    <div id="live" class="sr-only" aria-live="polite"></div>
  </main>
</div>
</body></html>`.value;
}

/** A page for someone who is not signed in (sign-in, errors before sign-in). */
export function barePage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">${head(title)}
<body>
<header class="topbar"><a class="brand" href="/admin">Chartside</a><span class="org">Console</span></header>
<main id="main">${body}</main>
</body></html>`.value;
}
