/**
 * Security headers on every gateway response, set once here rather than per handler.
 * (The sandbox is a separate system and sets its own.)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config/index.ts';
import { refuseFraming } from './csp.ts';

/**
 * Paths whose answers carry launch context, tokens, PHI or API data: never stored by a browser
 * or an intermediary cache (RFC 6749 §5.1 asks the same of token responses).
 */
const NO_STORE_PREFIXES = [
  '/api/auth/smart/',
  '/launch-contexts',
  '/launch-debug',
  '/fhir/',
  '/api/cds/',
  '/admin',
];

/**
 * The launch hops and the App launch URL page run inside the EHR's window, which may be a frame
 * (Epic Hyperdrive and some PowerChart set-ups embed apps): their pages may be framed. They hold
 * no actions to click (clickjacking needs something to click); every other page refuses framing.
 */
const FRAMEABLE_PREFIXES = ['/api/auth/smart/', '/launch-debug'];

export function installSecurityHeaders(app: FastifyInstance, config: Pick<Config, 'publicUrl'>): void {
  // HSTS only means something over https; on a plain-http development origin it is ignored.
  const hsts = config.publicUrl.startsWith('https:') ? 'max-age=31536000; includeSubDomains' : null;

  // Callback-style hooks (not async): every request runs them, and an async hook costs a promise.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // Our resources are for our own pages (the JWKS and API are fetched by servers or with
    // CORS, which CORP does not restrict; navigations are not affected).
    reply.header('cross-origin-resource-policy', 'same-origin');
    if (hsts) reply.header('strict-transport-security', hsts);
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    setResponsePolicy(request.url, reply);
    done(null, payload);
  });
}

function setResponsePolicy(url: string, reply: FastifyReply): void {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  // Console assets (/admin/assets/…?v=hash) may be cached; everything else under these paths not.
  if (NO_STORE_PREFIXES.some((prefix) => path.startsWith(prefix)) && !isStaticAsset(reply)) {
    reply.header('cache-control', 'no-store');
  }
  if (FRAMEABLE_PREFIXES.some((prefix) => path.startsWith(prefix))) return;
  // Clickjacking: nothing else of ours may be framed (X-Frame-Options for older browsers,
  // CSP frame-ancestors on HTML for current ones). COOP likewise stays off the launch hops: it
  // would cut the app window's link to the EHR window that opened it (SMART Web Messaging).
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  const type = String(reply.getHeader('content-type') ?? '');
  if (type.startsWith('text/html')) {
    const csp = reply.getHeader('content-security-policy');
    reply.header('content-security-policy', refuseFraming(csp ? String(csp) : undefined));
  }
}

function isStaticAsset(reply: { getHeader(name: string): unknown }): boolean {
  return /\bimmutable\b/.test(String(reply.getHeader('cache-control') ?? ''));
}
