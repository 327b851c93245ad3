/**
 * Rate limits on the surfaces anyone can reach: the SMART launch and callback, the app API, the
 * FHIR proxy, the CDS Hooks relay and the console's sign-in form. A fixed one-minute window per
 * client (per API key where the request carries one, else per IP — `request.ip`, which honours
 * TRUST_PROXY). Over the limit: 429 with `Retry-After`, rendered by the surface's own renderer
 * (the limiter throws a ChartsideError, the scope's error handler formats it).
 *
 * Counters live in this process's memory: N processes behind a load balancer allow N times the
 * limit (README "Rate limits").
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimits } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';

type LimitedSurface = 'launch' | 'api' | 'fhir' | 'cds' | 'sign_in';

const WINDOW_MS = 60_000;
/**
 * `cs_test_<prefix>_<secret>`, `cs_live_…` (and keys from before environments, `cs_sk_…`): the
 * public prefix names the key without its secret (api/api-keys.ts).
 */
const API_KEY_PREFIX = /^Bearer\s+(cs_(?:test|live|sk)_[A-Za-z0-9]{12})_/i;

/**
 * Which limit applies, from the matched route (not the raw URL, so encodings cannot dodge it).
 * Health checks, the JWKS and the console's other pages are not limited here.
 */
export function limitedSurfaceOf(request: FastifyRequest): LimitedSurface | null {
  const route = request.routeOptions.url ?? '';
  // The launch, its callback and the standalone launch: each first hop writes a pending launch.
  if (route.startsWith('/api/auth/smart/launch') || route.startsWith('/api/auth/smart/standalone'))
    return 'launch';
  if (route.startsWith('/launch-contexts')) return 'api';
  if (route.startsWith('/fhir/')) return 'fhir';
  if (route.startsWith('/api/cds/')) return 'cds';
  if (route === '/admin/sign-in' && request.method === 'POST') return 'sign_in';
  return null;
}

function limitOf(limits: RateLimits, surface: LimitedSurface): number {
  switch (surface) {
    case 'launch':
      return limits.launchPerMinute;
    case 'api':
      return limits.apiPerMinute;
    case 'fhir':
      return limits.fhirPerMinute;
    case 'cds':
      return limits.cdsPerMinute;
    case 'sign_in':
      return limits.signInPerMinute;
  }
}

/** Per API key for the app's own calls (many apps may share a NAT), else per client IP. */
function clientOf(request: FastifyRequest, surface: LimitedSurface): string {
  if (surface === 'api' || surface === 'fhir') {
    const prefix = API_KEY_PREFIX.exec(request.headers.authorization ?? '')?.[1];
    if (prefix) return `key:${prefix}`;
  }
  return `ip:${request.ip}`;
}

export async function installRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    timeWindow: WINDOW_MS,
    allowList: (request) => {
      const surface = limitedSurfaceOf(request);
      return surface === null || limitOf(limits, surface) === 0;
    },
    keyGenerator: (request) => {
      const surface = limitedSurfaceOf(request) ?? 'none';
      return surface === 'none' ? 'none' : `${surface}:${clientOf(request, surface)}`;
    },
    max: (request) => {
      const surface = limitedSurfaceOf(request);
      return surface ? limitOf(limits, surface) : 0;
    },
    // Only the 429 gets these; ordinary answers stay as they were.
    addHeadersOnExceeding: {
      'x-ratelimit-limit': false,
      'x-ratelimit-remaining': false,
      'x-ratelimit-reset': false,
    },
    errorResponseBuilder: (_request, context) =>
      new ChartsideError('rate_limited', {
        message: `Too many requests. Try again in ${Math.max(1, Math.ceil(context.ttl / 1000))} seconds.`,
      }),
  });
}
