/**
 * The CDS Hooks URL, described (routes.ts wires it). Shapes from CDS Hooks 2.0
 * (https://cds-hooks.hl7.org/2.0/): discovery, the hook request, feedback.
 */
import { type Static, Type } from 'typebox';
import { apiErrors } from '../errors/schemas.ts';
import { MESSAGES, text } from '../http/schemas.ts';

const OrgParams = Type.Object({ orgId: text(200, { description: 'The organization (`org_…`).' }) });
const ServiceParams = Type.Object({
  orgId: text(200, { description: 'The organization (`org_…`).' }),
  serviceId: text(200, { description: 'The app’s CDS service id.' }),
});

const Headers = Type.Object({
  authorization: Type.Optional(
    Type.String({ description: '`Bearer <JWT>` signed by a trusted CDS client of the organization.' }),
  ),
});

/** A JSON object whose members are the app's or the EHR's business. */
const AnyObject = (description: string, messages?: Record<string, string>) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description,
    ...(messages && { [MESSAGES]: messages }),
  });

/** A required, non-blank string of the hook request. */
const required = (name: string, description: string) =>
  Type.String({
    minLength: 1,
    maxLength: 2048,
    pattern: '\\S',
    description,
    [MESSAGES]: { default: `${name} is required.` },
  });

/** The HTTP request of a hook call (https://cds-hooks.hl7.org/2.0/#http-request-1). */
export const HookRequest = Type.Object(
  {
    hook: required('hook', 'The hook that fired, e.g. `patient-view`.'),
    hookInstance: required('hookInstance', 'A UUID for this hook call.'),
    fhirServer: Type.Optional(Type.String({ description: 'The EHR’s FHIR base URL.' })),
    fhirAuthorization: Type.Optional(AnyObject('The EHR’s FHIR access grant (never forwarded as is).')),
    context: AnyObject('The hook’s context.', { default: 'context must be an object.' }),
    prefetch: Type.Optional(AnyObject('Prefetched FHIR data.')),
    extension: Type.Optional(AnyObject('Extensions.')),
  },
  { [MESSAGES]: { type: 'Send a CDS Hooks request (JSON).' } },
);
export type HookRequest = Static<typeof HookRequest>;

const Card = AnyObject('A card the app returned, checked against CDS Hooks 2.0.');

export const discoverySchema = {
  summary: 'CDS Hooks discovery: the app’s services',
  tags: ['CDS Hooks'],
  params: OrgParams,
  response: {
    200: Type.Object({ services: Type.Array(AnyObject('A CDS service (hook, id, description, …).')) }),
    ...apiErrors(404, 429, 502),
  },
} as const;

export const invokeSchema = {
  summary: 'Call a CDS service: relayed to the app’s service',
  tags: ['CDS Hooks'],
  headers: Headers,
  params: ServiceParams,
  body: HookRequest,
  response: {
    200: Type.Object({
      cards: Type.Array(Card),
      systemActions: Type.Optional(Type.Array(AnyObject('A system action.'))),
    }),
    ...apiErrors(400, 401, 404, 429),
  },
} as const;

export const Feedback = Type.Object(
  {
    feedback: Type.Array(AnyObject('Feedback on one card (https://cds-hooks.hl7.org/2.0/#feedback).'), {
      [MESSAGES]: { default: 'feedback must be an array.' },
    }),
  },
  { [MESSAGES]: { type: 'feedback must be an array.' } },
);
export type Feedback = Static<typeof Feedback>;

export const feedbackSchema = {
  summary: 'Feedback on cards: relayed to the app’s service',
  tags: ['CDS Hooks'],
  headers: Headers,
  params: ServiceParams,
  body: Feedback,
  response: { ...apiErrors(400, 401, 404, 429, 502) },
} as const;
