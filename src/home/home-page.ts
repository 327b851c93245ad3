/**
 * The gateway's front door. A browser gets a small page with the links a person needs (the
 * admin console; in development the local Cerner sandbox's Code Console and the launch-debug
 * page; the documentation); an API client gets the same links as JSON. Nothing here is secret:
 * no org, key or patient is named, in any mode.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html/escape.ts';
import { page } from '../html/page.ts';
import { contentSecurityPolicy } from '../security/csp.ts';
import type { Services } from '../services.ts';
import { listFhirSources } from '../settings/fhir-sources.ts';
import { availableDocuments, DOCUMENTS } from './docs.ts';

/** Where the local sandbox (src/sandbox) serves My Applications: the path code.cerner.com uses. */
const CODE_CONSOLE_PATH = '/developer/smart-on-fhir/apps';

const HOME_CSP = contentSecurityPolicy({ styles: 'inline', forms: 'none', framing: 'none' });

export interface HomeLinks {
  console: string;
  health: string;
  jwks: string;
  launch_contexts: string;
  /** Development and test only: the local sandboxes' Code Consoles (My Applications). */
  code_consoles: string[];
  /** Development and test only: the repository's documents, as text. */
  docs: string[];
}

/** Cerner sandbox sources on a loopback http origin are the local sandbox: link its Code Console. */
export function localCodeConsoles(
  sources: readonly { fhir_base_url: string; vendor: string; environment: string }[],
): string[] {
  const origins = new Set<string>();
  for (const source of sources) {
    if (source.vendor !== 'cerner' || source.environment !== 'sandbox') continue;
    const url = URL.canParse(source.fhir_base_url) ? new URL(source.fhir_base_url) : null;
    if (url?.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) continue;
    origins.add(url.origin);
  }
  return [...origins].map((origin) => `${origin}${CODE_CONSOLE_PATH}`);
}

async function homeLinks({ config, db }: Services): Promise<HomeLinks> {
  const base = config.publicUrl;
  return {
    console: `${base}/admin`,
    health: `${base}/health`,
    jwks: `${base}/api/auth/.well-known/jwks`,
    launch_contexts: `${base}/launch-contexts/{mb_launch}`,
    code_consoles: config.mode === 'production' ? [] : localCodeConsoles(await listFhirSources(db)),
    docs: config.mode === 'production' ? [] : availableDocuments().map((name) => `${base}/docs/${name}`),
  };
}

/** A browser asks for HTML first; curl, fetch and SDKs do not. */
function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}

function linkItem(href: string, label: string, note: string | SafeHtml): SafeHtml {
  return html`<li><a href="${href}">${label}</a> <span class="muted">${note}</span></li>`;
}

export function homePage(links: HomeLinks, mode: string): string {
  const sandbox = links.code_consoles.map((url) =>
    linkItem(
      url,
      'Local Cerner sandbox: Code Console',
      'My Applications: register an app, Test Sandbox (sign in as developer / developer)',
    ),
  );
  return page(
    'Chartside',
    html`<p class="eyebrow">SMART on FHIR EHR-launch gateway · ${mode}</p>
<div class="card">
  <h1>Chartside</h1>
  <p>Clinicians open your app from a patient’s chart in the EHR; Chartside completes the SMART launch, keeps the EHR’s tokens and hands your app a launch handle.</p>
  <ul>
    ${linkItem(links.console, 'Admin console', 'Settings → Connections → Cerner, launches, audit, API keys')}
    ${sandbox}
  </ul>
</div>
<div class="card">
  <h2>Documentation</h2>
  ${links.docs.length > 0 ? html`<ul>${links.docs.map((url) => linkItem(url, url.slice(url.lastIndexOf('/') + 1), DOCUMENTS[url.slice(url.lastIndexOf('/') + 1)]?.about ?? ''))}</ul>` : html`<p class="muted">README.md, and docs/guide.md, docs/cerner.md and docs/architecture.md in the repository.</p>`}
</div>
<div class="card">
  <h2>For your app’s backend</h2>
  <dl>
    <dt>Launch context</dt><dd>GET ${links.launch_contexts} (API key)</dd>
    <dt>JWKS URI</dt><dd>${links.jwks}</dd>
    <dt>Health</dt><dd>${links.health}</dd>
  </dl>
</div>`,
  );
}

export function homeHandler(services: Services) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const links = await homeLinks(services);
    reply.header('cache-control', 'no-store').header('vary', 'Accept');
    if (!wantsHtml(request)) return reply.send({ resource_type: 'service', name: 'Chartside', links });
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', HOME_CSP)
      .send(homePage(links, services.config.mode));
  };
}
