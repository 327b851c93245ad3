/**
 * The error bodies as response schemas, one per surface renderer (render.ts): route schemas list
 * them for their error statuses, so what goes over the wire is described and serialized exactly.
 */
import { Type } from 'typebox';
import { ERRORS } from './catalogue.ts';

const ERROR_TYPES = [
  'authentication_error',
  'permission_error',
  'invalid_request_error',
  'not_found_error',
  'conflict_error',
  'rate_limit_error',
  'ehr_error',
  'api_error',
];

/** `{"error": {type, code, message, param, doc_url, request_id}}`, all six keys always present. */
export const ApiErrorBody = Type.Object(
  {
    error: Type.Object({
      type: Type.Unsafe<string>({ type: 'string', enum: ERROR_TYPES }),
      code: Type.Unsafe<string>({ type: 'string', enum: Object.keys(ERRORS) }),
      message: Type.String(),
      param: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
      doc_url: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
      request_id: Type.String(),
    }),
  },
  { description: 'The error envelope (README "App API").' },
);

/** The API envelope for each of `statuses`, as a route schema's `response` entries. */
export function apiErrors(...statuses: number[]): Record<number, typeof ApiErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, ApiErrorBody]));
}

/** Chartside's own FHIR proxy errors: an OperationOutcome carrying our code and request id. */
export const OperationOutcomeBody = Type.Object(
  {
    resourceType: Type.Literal('OperationOutcome'),
    issue: Type.Array(
      Type.Object({
        severity: Type.String(),
        code: Type.String(),
        details: Type.Object({
          coding: Type.Array(Type.Object({ system: Type.String(), code: Type.String() })),
          text: Type.String(),
        }),
        diagnostics: Type.String(),
      }),
    ),
  },
  { description: 'A FHIR R4 OperationOutcome; issue[0].details.coding[0].code is the error code.' },
);
