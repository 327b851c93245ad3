/**
 * Logger options: structured JSON with secrets redacted. The callback URL carries `code` and
 * `state`; the launch URL carries `launch`: their values never reach a log line.
 */
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';
import type { Config } from './config/index.ts';

const SECRET_QUERY_PARAMS = [
  'code',
  'state',
  'launch',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'mb_launch',
];

/**
 * A function that replaces the values of the query parameters `names` with `[REDACTED]`. A query
 * that cannot name one of them (no name as written, no escape `%` or `+` that could spell one) is
 * returned as it came, unparsed: most URLs logged and most FHIR searches audited.
 */
export function queryRedactor(names: readonly string[]): (url: string) => string {
  const mayNameOne = new RegExp(`${names.join('|')}|[%+]`);
  return (url) => {
    const queryStart = url.indexOf('?');
    if (queryStart === -1) return url;
    if (!mayNameOne.test(url.slice(queryStart + 1))) return url;
    const params = new URLSearchParams(url.slice(queryStart + 1));
    for (const name of names) if (params.has(name)) params.set(name, '[REDACTED]');
    return `${url.slice(0, queryStart)}?${params.toString()}`;
  };
}

/** A URL as the log may show it: OAuth codes, states, launch handles and tokens redacted. */
export const redactUrl = queryRedactor(SECRET_QUERY_PARAMS);

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.access_token',
        '*.refresh_token',
        '*.id_token',
        '*.client_secret',
        '*.secret',
        '*.client_assertion',
        '*.code_verifier',
        '*.key',
      ],
      censor: '[REDACTED]',
    },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url) }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
    },
  };
}

/**
 * A loggable summary of an error chain: names, codes and messages only. Causes from the OAuth
 * library can carry the token endpoint's whole body (tokens included), so bodies are dropped.
 */
export function summarizeError(error: unknown, depth = 0): Record<string, unknown> | undefined {
  if (!(error instanceof Error) || depth > 4) return undefined;
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(depth === 0 && error.stack ? { stack: error.stack.split('\n').slice(0, 6).join('\n') } : {}),
    ...(error.cause instanceof Error ? { cause: summarizeError(error.cause, depth + 1) } : {}),
  };
}
