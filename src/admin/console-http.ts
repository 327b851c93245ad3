/** How console responses go out: security headers on every page, redirect-after-post, the sign-in `next`. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSP } from '../security/csp.ts';

export function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('x-frame-options', 'DENY')
    .header('content-security-policy', CSP.consolePage)
    .header('cross-origin-opener-policy', 'same-origin')
    .header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return securityHeaders(reply)
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body);
}

/** 303 See Other: the browser follows with a GET, so a reload never re-posts the form. */
export function redirectAfterPost(reply: FastifyReply, location: string): FastifyReply {
  return securityHeaders(reply).header('cache-control', 'no-store').redirect(location, 303);
}

export function isHtmx(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

/**
 * Where to go after sign-in: only a path inside the console, never another origin
 * (`//evil.example`, `/\evil.example`) and never the sign-in page itself.
 */
export function safeNext(value: string | undefined): string | null {
  if (!value || value.length > 500) return null;
  if (!/^\/admin(?:[/?][A-Za-z0-9\-._~%/?=&+]*)?$/.test(value)) return null;
  if (value.startsWith('/admin/sign-')) return null;
  return value;
}
