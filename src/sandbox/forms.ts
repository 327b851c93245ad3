/**
 * Request bodies. The token endpoint must answer `invalid_request` for anything that is not
 * `application/x-www-form-urlencoded` (S5) instead of Fastify's 415, and RFC 6749 section 3.2
 * forbids repeated parameters, so the sandbox parses forms itself and keeps other bodies raw.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface FormBody {
  kind: 'form';
  fields: Record<string, string>;
  /** Parameter names that appeared more than once. */
  repeated: string[];
}

export interface RawBody {
  kind: 'raw';
  contentType: string;
  text: string;
}

export function parseForm(text: string): FormBody {
  const fields: Record<string, string> = {};
  const repeated = new Set<string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(fields, name)) repeated.add(name);
    else fields[name] = value;
  }
  return { kind: 'form', fields, repeated: [...repeated] };
}

/**
 * Registers the form parser, a JSON parser that never rejects (bad JSON becomes a RawBody, so
 * the token endpoint can still answer in OAuth terms) and a catch-all that keeps bodies as text.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      done(null, JSON.parse(String(body)));
    } catch {
      const raw: RawBody = {
        kind: 'raw',
        contentType: request.headers['content-type'] ?? '',
        text: String(body),
      };
      done(null, raw);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, parseForm(String(body)));
    },
  );
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const raw: RawBody = {
      kind: 'raw',
      contentType: request.headers['content-type'] ?? '',
      text: String(body),
    };
    done(null, raw);
  });
}

export function formBody(request: FastifyRequest): FormBody | undefined {
  const body = request.body as { kind?: unknown } | null | undefined;
  return body && typeof body === 'object' && body.kind === 'form' ? (body as FormBody) : undefined;
}

/** Query parameters as a flat record (first value wins), whatever Fastify's parser produced. */
export function queryRecord(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const query = request.query as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(query ?? {})) {
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') out[name] = value[0];
  }
  return out;
}

/** The raw query string of a request (without "?"), for parsers that need repeated parameters. */
export function rawQuery(request: FastifyRequest): string {
  const index = request.url.indexOf('?');
  return index === -1 ? '' : request.url.slice(index + 1);
}

/** The request path without the query string. */
export function requestPath(request: FastifyRequest): string {
  const index = request.url.indexOf('?');
  return index === -1 ? request.url : request.url.slice(0, index);
}
