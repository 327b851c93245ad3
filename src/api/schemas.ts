/**
 * The app-facing API, described (routes.ts wires it): what the app's backend sends and gets.
 * Field names are the wire contract (README "App API").
 */
import { Type } from 'typebox';
import { apiErrors } from '../errors/schemas.ts';
import { MESSAGES, nullableBoolean, nullableString, oneOf, text } from '../http/schemas.ts';
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

/** Where SMART defines the launch context fields (SMART App Launch 2.2). */
const SMART_CONTEXT =
  'SMART App Launch 2.2, Scopes and Launch Context, “Launch context arrives with your access_token” (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#launch-context-arrives-with-your-access_token)';

/** Any JSON object, serialized as it is (the EHR's own fields). */
const anyObject = (description: string) =>
  Type.Unsafe<Record<string, unknown> | null>({
    type: ['object', 'null'],
    additionalProperties: true,
    description,
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
    patient: nullableString({
      description: `\`Patient/<id>\`: the patient in context, from the token response’s \`patient\` (${SMART_CONTEXT}).`,
    }),
    encounter: nullableString({
      description: `\`Encounter/<id>\`: the encounter in context, from \`encounter\` (${SMART_CONTEXT}).`,
    }),
    fhir_user: nullableString({
      description:
        'The signed-in user (`Practitioner/<id>`), from the verified id_token’s `fhirUser` claim (SMART App Launch 2.2, Scopes and Launch Context, “Scopes for requesting identity data”).',
    }),
    user_name: nullableString({
      description:
        'The signed-in user’s display name: the verified id_token’s `name` claim (OpenID Connect Core 1.0 §5.1), when the EHR puts one there. Never the token itself.',
    }),
    scope: nullableString({
      description: 'The scopes the EHR granted (SMART App Launch 2.2, App Launch, token response `scope`).',
    }),
    need_patient_banner: nullableBoolean({
      description: `\`false\` when the EHR already shows the patient, so the app need not (\`need_patient_banner\`, ${SMART_CONTEXT}; Epic’s string form is read as a boolean).`,
    }),
    smart_style_url: nullableString({
      description: `Where the EHR’s style (colors, fonts) for the app to match can be read (\`smart_style_url\`, ${SMART_CONTEXT}).`,
    }),
    tenant: nullableString({
      description: `The EHR’s identifier of the organization that launched (\`tenant\`, ${SMART_CONTEXT}).`,
    }),
    intent: nullableString({
      description: `What the EHR wants the app to do on this launch, as agreed between them (\`intent\`, ${SMART_CONTEXT}).`,
    }),
    fhir_context: Type.Unsafe<unknown[] | null>({
      type: ['array', 'null'],
      items: { type: 'object', additionalProperties: true },
      description: `SMART 2 \`fhirContext\`: the resources in context beyond patient and encounter, the array exactly as the EHR sent it (objects with \`reference\`, \`canonical\`, \`identifier\`, \`type\`, \`role\`; ${SMART_CONTEXT}).`,
    }),
    extra_context: anyObject(
      `The token response’s other fields, as sent: vendor extensions (full URIs or \`__\`-prefixed names, ${SMART_CONTEXT}), Cerner’s \`user\` and \`username\`, \`active_ttl\` …; never a token, nor anything named or shaped like one.`,
    ),
    fhir_source: nullableString({ description: 'The `fhir_source` id (`fhirsrc_…`).' }),
    fhir_base_url: Type.String({ description: 'The EHR tenant’s FHIR base URL (the launch’s `iss`).' }),
    vendor: nullableString({
      description:
        '`cerner`, `epic` or `smart` (any other SMART EHR): the FHIR source’s vendor when the launch started.',
    }),
    environment: Type.String({ description: '`sandbox` or `production`, from the FHIR source.' }),
    created_at: Type.String({ description: 'When the launch started (ISO 8601).' }),
    expires_at: nullableString({
      description:
        'While `ready`: when the launch stops being usable at the latest (ISO 8601), its maximum age (`CHARTSIDE_MAX_SESSION_AGE_SECONDS` after it started), or sooner when the EHR gave no refresh token and its access token (`expires_in`, SMART App Launch 2.2, App Launch, token response) runs out. Chartside renews the access token otherwise. `null` once the launch is over.',
    }),
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
        user_name: null,
        scope:
          'openid fhirUser launch user/Patient.read user/Encounter.read user/Observation.read online_access',
        need_patient_banner: true,
        smart_style_url:
          'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d/smart-style',
        tenant: 'ec2458f2-1e24-41c8-b71b-0e701af7583d',
        intent: null,
        fhir_context: null,
        extra_context: { user: '12742069', username: 'portal' },
        fhir_source: 'fhirsrc_7Yq2mC0vRkTQ1jXh',
        fhir_base_url: 'https://fhir-ehr-code.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d',
        vendor: 'cerner',
        environment: 'sandbox',
        created_at: '2026-06-09T14:30:00.000Z',
        expires_at: '2026-06-10T02:30:00.000Z',
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
