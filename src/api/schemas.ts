/**
 * The app-facing API, described (routes.ts wires it): what the app's backend sends and gets.
 * Field names are the wire contract (README "App API").
 */
import { Type } from 'typebox';
import { apiErrors } from '../errors/schemas.ts';
import { MESSAGES, nullableString, oneOf, text } from '../http/schemas.ts';
import { API_VERSIONS } from './versioning.ts';

/** Sent by every app-facing call. */
export const ApiHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: '`Bearer <API key>` (cs_test_… or cs_live_…)' })),
  version: Type.Optional(
    oneOf(API_VERSIONS, {
      description: 'The API version the app was written against; without it, the newest.',
      [MESSAGES]: {
        code: 'unsupported_api_version',
        enum: `Unsupported API version. Supported: ${API_VERSIONS.join(', ')}.`,
        type: `Unsupported API version. Supported: ${API_VERSIONS.join(', ')}.`,
      },
    }),
  ),
});

/** GET /launch-contexts/:id — every field always present, `null` when unknown. */
export const LaunchContext = Type.Object(
  {
    id: Type.String({ description: 'The `mb_launch` handle (a UUID).' }),
    resource_type: Type.Literal('launch_context'),
    status: Type.String({
      description:
        '`pending`, `ready`, `failed`, then `expired`, `refresh_failed` or `ended` (the app ended it) once a launch ends.',
    }),
    patient: nullableString({ description: '`Patient/<id>`: the patient in context.' }),
    encounter: nullableString({ description: '`Encounter/<id>`: the encounter in context.' }),
    fhir_user: nullableString({
      description: 'The signed-in user (`Practitioner/<id>`), from the id_token.',
    }),
    scope: nullableString({ description: 'The scopes the EHR granted.' }),
    fhir_source: nullableString({ description: 'The `fhir_source` id (`fhirsrc_…`).' }),
    fhir_base_url: Type.String({ description: 'The EHR tenant’s FHIR base URL (the launch’s `iss`).' }),
    environment: Type.String({ description: '`sandbox` or `production`, from the FHIR source.' }),
    created_at: Type.String({ description: 'When the launch started (ISO 8601).' }),
  },
  {
    additionalProperties: false,
    description: 'The launch context: every field always present, `null` when unknown.',
    examples: [
      {
        id: '0b8e5c1a-7f0e-4c39-9d3e-2a51c0f4b7de',
        resource_type: 'launch_context',
        status: 'ready',
        patient: 'Patient/12724066',
        encounter: 'Encounter/97953477',
        fhir_user: 'Practitioner/12742069',
        scope:
          'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access',
        fhir_source: 'fhirsrc_7Yq2mC0vRkTQ1jXh',
        fhir_base_url: 'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d',
        environment: 'sandbox',
        created_at: '2026-06-09T14:30:00.000Z',
      },
    ],
  },
);

export const launchContextSchema = {
  summary: 'Resolve the mb_launch handle to its launch context',
  tags: ['Launch contexts'],
  headers: ApiHeaders,
  params: Type.Object({ id: text(200, { description: 'The `mb_launch` value.' }) }),
  response: { 200: LaunchContext, ...apiErrors(400, 401, 404, 429, 503) },
} as const;

export const endLaunchSchema = {
  summary: 'End a launch: revoke its EHR tokens and delete them',
  description:
    'Revokes the launch’s refresh and access tokens at the EHR’s revocation endpoint (RFC 7009) when it ' +
    'advertises one, deletes them either way, and answers the launch context with status `ended`. ' +
    'Idempotent: a launch that is already over is answered as it is. The FHIR proxy then answers ' +
    '502 `token_unavailable` for it.',
  tags: ['Launch contexts'],
  headers: ApiHeaders,
  params: Type.Object({ id: text(200, { description: 'The `mb_launch` value.' }) }),
  response: { 200: LaunchContext, ...apiErrors(400, 401, 404, 429, 503) },
} as const;

export const healthSchema = {
  summary: 'Liveness, for people and simple monitors',
  tags: ['Operations'],
  response: {
    200: Type.Object({ ok: Type.Boolean(), server_time: Type.String() }, { description: 'Up.' }),
  },
} as const;
