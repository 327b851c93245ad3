/**
 * HTTP plumbing shared by the token and revocation endpoints: Cerner's token-endpoint headers,
 * the form-only body rule, the `{error, error_uri}` error body (S5, docs/cerner.md §8) and the
 * `token` fault switches.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { TokenEndpointError, URN } from './errors.ts';
import { type FormBody, formBody } from './forms.ts';

/** Headers documented for Cerner's token endpoint (docs/cerner.md §4). */
export function setTokenHeaders(reply: FastifyReply): void {
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-allow-methods', 'OPTIONS, POST');
  reply.header('access-control-allow-headers', 'Content-Type, Authorization');
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** S5: only form-encoded bodies, and no repeated parameters (RFC 6749 section 3.2). */
export function requireForm(request: FastifyRequest): FormBody {
  const form = formBody(request);
  if (!form) {
    throw new TokenEndpointError(
      'invalid_request',
      URN.tokenInvalidRequest,
      'the body must be application/x-www-form-urlencoded',
    );
  }
  if (form.repeated.length > 0) {
    throw new TokenEndpointError(
      'invalid_request',
      URN.tokenInvalidRequest,
      `repeated parameters: ${form.repeated.join(', ')}`,
    );
  }
  return form;
}

export function sendTokenError(
  ctx: SandboxContext,
  reply: FastifyReply,
  error: TokenEndpointError,
): FastifyReply {
  const errorUri = ctx.errorUri(error.urn, error.detail, [
    ['client', error.client],
    ['tenant', ctx.tenant],
  ]);
  return reply.code(error.status).send({ error: error.error, error_uri: errorUri });
}

/**
 * Answers as the `token` fault says, or returns false when no fault is on. `serverError`: the
 * `http_500` body (default Cerner's `{error, error_uri}`).
 */
export async function answerWithFault(
  ctx: SandboxContext,
  reply: FastifyReply,
  serverError?: () => Record<string, unknown>,
): Promise<boolean> {
  const fault = ctx.faults.current.token;
  if (fault === 'hang') {
    reply.hijack();
    await ctx.held.hold(reply);
    return true;
  }
  if (fault === 'http_500' && serverError) {
    reply.code(500).send(serverError());
    return true;
  }
  if (fault === 'http_500') {
    const errorUri = ctx.errorUri(URN.tokenServerError, 'the token "http_500" fault is on', [
      ['client', 'unknown'],
      ['tenant', ctx.tenant],
    ]);
    reply.code(500).send({ error: 'server_error', error_uri: errorUri });
    return true;
  }
  if (fault === 'malformed_json') {
    reply
      .code(200)
      .type('application/json')
      .send('{"access_token":"eyJraWQiOiIyMDI2LTA2LTAxVDEyOjAwOjAwLjAwMC5lYy5lczI1NiIs');
    return true;
  }
  return false;
}
