/**
 * The error bodies as response schemas, one per surface renderer (render.ts): route schemas list
 * them for their error statuses, so what goes over the wire is described and serialized exactly.
 */
import { type Static, Type } from 'typebox';
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

/**
 * `{"error": {type, code, message, param, doc_url, request_id}}`, all six keys always present.
 * A shared schema (`$id`, added once by buildApp): routes refer to it, and the API description
 * shows it once, as a component.
 */
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
  { $id: 'ApiError', title: 'ApiError', description: 'The error envelope (README "App API").' },
);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is not valid (`invalid_request_error`).',
  401: 'No API key, or not a valid one (`authentication_error`).',
  403: 'Not allowed (`permission_error`).',
  404: 'No such resource, or one of another organization or environment (`not_found_error`).',
  409: 'Conflicts with what exists (`conflict_error`).',
  429: 'Too many requests: wait for `Retry-After` seconds (`rate_limit_error`).',
  502: 'The EHR or the app’s service failed (`ehr_error`).',
  503: 'The database is briefly unavailable: try again (`database_unavailable`).',
};

/** The API envelope for each of `statuses`, as a route schema's `response` entries. */
export function apiErrors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      Type.Unsafe<Static<typeof ApiErrorBody>>({
        $ref: 'ApiError#',
        description: ERROR_DESCRIPTIONS[status] ?? 'An error (the error envelope).',
      }),
    ]),
  );
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
