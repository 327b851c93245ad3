/**
 * Request bodies the proxy relays: FHIR JSON (and plain JSON, JSON Patch), parsed only to refuse
 * malformed JSON before the EHR sees it, then relayed byte for byte; form bodies (`_search` by
 * POST) as they are; anything else 415. Registered inside the proxy's own scope only.
 */
import type { FastifyInstance } from 'fastify';
import { ChartsideError } from '../errors/catalogue.ts';

const JSON_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json+fhir',
  'application/json-patch+json',
];

export function registerFhirBodyParsers(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser(JSON_TYPES, { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      JSON.parse((body as Buffer).toString('utf8'));
      done(null, body);
    } catch (error) {
      done(
        new ChartsideError('bad_request', { message: 'The request body is not valid JSON.', cause: error }),
      );
    }
  });
  scope.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );
  scope.addContentTypeParser('*', (_request, _payload, done) =>
    done(new ChartsideError('unsupported_media_type')),
  );
}
