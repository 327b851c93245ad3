/**
 * The browser-facing launch routes, described (routes.ts wires them). Their errors are HTML pages
 * (the `html` surface), so only the success answers are listed as responses.
 */
import { type Static, Type } from 'typebox';
import { ERRORS } from '../errors/catalogue.ts';
import { htmlPage, MESSAGES, redirect, text } from '../http/schemas.ts';

const OrgParams = Type.Object({
  orgId: text(200, { description: 'The organization whose SMART Launch URI this is (`org_…`).' }),
});

/**
 * The EHR launch (SMART App Launch, "EHR launch":
 * https://build.fhir.org/ig/HL7/smart-app-launch/app-launch.html#launch-app-ehr-launch). Other
 * parameters an EHR adds are accepted and ignored.
 */
/** A required parameter of a launch link, with our words for each way it can be wrong. */
function linkParameter(
  name: string,
  link: 'The launch' | 'The sign-in link',
  options: { maxLength: number; description: string; missing?: string },
) {
  const missing = options.missing ?? `${link} is missing the ${name} parameter.`;
  return Type.String({
    minLength: 1,
    maxLength: options.maxLength,
    description: options.description,
    [MESSAGES]: {
      required: missing,
      minLength: missing,
      type: `${link} has more than one ${name} parameter.`,
      maxLength: `The ${name} parameter is too long.`,
    },
  });
}

const LaunchQuery = Type.Object({
  iss: linkParameter('iss', 'The launch', {
    maxLength: 2048,
    description: 'The FHIR base URL of the EHR tenant (a registered `fhir_source`).',
  }),
  // Epic's launch parameter can be a long JWT (docs/cerner.md §12).
  launch: linkParameter('launch', 'The launch', {
    maxLength: 4096,
    description: 'The EHR’s opaque launch token, passed back on authorize.',
  }),
});
export type LaunchQuery = Static<typeof LaunchQuery>;

export const startLaunchSchema = {
  summary: 'SMART Launch URI (registered in the EHR)',
  tags: ['EHR-facing'],
  params: OrgParams,
  querystring: LaunchQuery,
  response: {
    302: redirect('To the EHR’s authorize endpoint (PKCE S256, aud = iss).'),
    '4xx': htmlPage('The launch refused: a page with the error code and request id.'),
  },
} as const;

/**
 * A standalone launch (SMART App Launch, "standalone launch":
 * https://hl7.org/fhir/smart-app-launch/app-launch.html#launch-app-standalone-launch): the app's
 * own "Sign in with the EHR" link names the EHR by its FHIR base; there is no `launch`. Other
 * parameters are accepted and ignored.
 */
const StandaloneQuery = Type.Object({
  iss: linkParameter('iss', 'The sign-in link', {
    maxLength: 2048,
    description: 'The FHIR base URL of the EHR tenant to sign in with (a registered `fhir_source`).',
    missing: 'The sign-in link is missing the iss parameter (the EHR’s FHIR base URL).',
  }),
});
export type StandaloneQuery = Static<typeof StandaloneQuery>;

export const startStandaloneSchema = {
  summary: 'Standalone launch: an app’s “Sign in with the EHR” link',
  description:
    'For a provider app opened outside the EHR. Requests `launch/patient` (and `launch/encounter` where the ' +
    'EHR offers it) instead of `launch`, and sends no `launch` parameter; refused with a page when the ' +
    'EHR’s SMART configuration lacks `launch-standalone`. The callback, the `mb_launch` hand-off and the ' +
    'launch context are those of the EHR launch.',
  tags: ['EHR-facing'],
  params: OrgParams,
  querystring: StandaloneQuery,
  response: {
    302: redirect('To the EHR’s authorize endpoint (PKCE S256, aud = iss, no launch).'),
    '4xx': htmlPage('The launch refused: a page with the error code and request id.'),
  },
} as const;

/** An empty, repeated or over-long state is no state at all: the link is unknown. */
const stateMessages = { code: 'invalid_state', default: ERRORS.invalid_state.message } as const;

/**
 * A response parameter as it may arrive. Only the state is checked before the handler: once the
 * state is taken, a malformed response (a repeated or over-long `code` or `error`) must still end
 * its launch as failed, so finish-launch.ts reads those itself.
 */
const responseParameter = (description: string) =>
  Type.Optional(
    Type.Unsafe<string | string[]>({ type: ['string', 'array'], items: { type: 'string' }, description }),
  );

/** The OAuth 2.0 authorization response (RFC 6749 §4.1.2 and §4.1.2.1). */
const CallbackQuery = Type.Object({
  state: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 4096,
      description: 'The state Chartside sent on authorize (single use).',
      [MESSAGES]: stateMessages,
    }),
  ),
  code: responseParameter('The authorization code.'),
  error: responseParameter('The EHR’s OAuth error code.'),
  error_description: responseParameter('The EHR’s error description.'),
  error_uri: responseParameter('The EHR’s error page (Cerner: a `urn:cerner:error:…` path).'),
});
export type CallbackQuery = Static<typeof CallbackQuery>;

export const finishLaunchSchema = {
  summary: 'Redirect URI (OAuth callback)',
  tags: ['EHR-facing'],
  querystring: CallbackQuery,
  response: {
    302: redirect('To the App launch URL with `mb_launch=<uuid>`.'),
    '4xx': htmlPage('The launch failed: a page with the error code and request id.'),
  },
} as const;

const LaunchDebugQuery = Type.Object({
  mb_launch: Type.String({
    minLength: 1,
    maxLength: 200,
    [MESSAGES]: {
      required: 'Open this page with ?mb_launch=<launch id>.',
      minLength: 'Open this page with ?mb_launch=<launch id>.',
    },
  }),
});
export type LaunchDebugQuery = Static<typeof LaunchDebugQuery>;

export const launchDebugSchema = {
  summary: 'The development App launch URL: shows a launch’s context',
  tags: ['development'],
  querystring: LaunchDebugQuery,
  response: { 200: htmlPage('The launch context, never a token.') },
} as const;

/** Production `/launch-debug` only redirects to the console path; the query goes along as it is. */
export const launchDebugRedirectSchema = {
  summary: 'The launch-debug page in production: on to the console',
  tags: ['development'],
  response: { 303: redirect('To /admin/launch-debug, under the console cookie’s path.') },
} as const;
