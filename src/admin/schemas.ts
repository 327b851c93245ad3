/**
 * The console's routes, described (routes.ts wires them). Form fields are all optional strings of
 * a bounded length: what a field must contain (an https URL, a known vendor) is the domain's rule,
 * checked in settings/ for the console and the CLI alike and shown beside the field. The schemas
 * only refuse what no console form sends: a repeated or over-long field, an unknown environment.
 */
import { type Static, Type } from 'typebox';
import { htmlPage, oneOf, redirect, text } from '../http/schemas.ts';

const ENVIRONMENTS = ['sandbox', 'production'] as const;

/** A form field, at most `maxLength` characters. */
const field = (maxLength = 4096, description?: string) =>
  Type.Optional(text(maxLength, description ? { description } : {}));
/** A checkbox: present (`on`) when ticked. */
const checkbox = (description: string) => Type.Optional(text(10, { description }));
/** Every console form carries its CSRF token (csrf.ts). */
const csrf = { _csrf: field(200, 'The form’s CSRF token.') };

const page = (description: string) => ({ 200: htmlPage(description) });
const afterPost = { 303: redirect('Post/redirect/get: on to the page that shows the result.') };
const tags = ['Console'];

export const IdParams = Type.Object({ id: text(200) });
const LinkParams = Type.Object({ id: text(200), orgId: text(200) });
const VendorParams = Type.Object({ vendor: text(50) });

const SignInQuery = Type.Object({ next: field(500), signed_out: field(10) });
export type SignInQuery = Static<typeof SignInQuery>;
const SignInForm = Type.Object({ email: field(1024), password: field(1024), next: field(500), ...csrf });
export type SignInForm = Static<typeof SignInForm>;

export const signInPage = {
  tags,
  querystring: SignInQuery,
  response: page('The sign-in form.'),
};
export const signInForm = {
  tags,
  body: SignInForm,
  response: { ...afterPost, 401: htmlPage('The form again, with the refusal.') },
};
export const signOutForm = { tags, body: Type.Object({ ...csrf }), response: afterPost };

const LaunchesQuery = Type.Object({ status: field(50), before: field(500), after: field(500) });
export type LaunchesQuery = Static<typeof LaunchesQuery>;
const AuditQuery = Type.Object({ launch: field(200), before: field(500), after: field(500) });
export type AuditQuery = Static<typeof AuditQuery>;

export const launchesPage = {
  tags,
  querystring: LaunchesQuery,
  response: page('The organization’s launches, newest first.'),
};
export const auditPage = {
  tags,
  querystring: AuditQuery,
  response: { ...page('The organization’s audit trail.'), 422: htmlPage('The filter was not a launch id.') },
};

export const home = { tags, response: { 302: redirect('On to the launches.') } };

export const plainPage = (description: string) => ({ tags, response: page(description) });
export const plainForm = { tags, body: Type.Object({ ...csrf }), response: afterPost };

export const connectionPage = {
  tags,
  params: VendorParams,
  querystring: Type.Object({ environment: Type.Optional(oneOf(ENVIRONMENTS)) }),
  response: page('A connection’s settings (Settings → Connections → <vendor>).'),
};
const ConnectionForm = Type.Object({
  credentials_for: Type.Optional(oneOf(['both', ...ENVIRONMENTS])),
  app_launch_url: field(),
  cds_endpoint: field(),
  cds_caching: checkbox('CDS caching'),
  use_custom_credentials: checkbox('Use custom credentials'),
  client_id: field(),
  client_secret: field(),
  remove_client_secret: checkbox('Remove the stored client secret'),
  auth_method: field(100),
  signing_alg: field(20),
  assertion_jku: checkbox('Send jku'),
  scopes: field(),
  ...csrf,
});
export type ConnectionForm = Static<typeof ConnectionForm>;

export const connectionForm = {
  tags,
  params: VendorParams,
  body: ConnectionForm,
  response: { ...afterPost, 422: htmlPage('The form again, each error beside its field.') },
};
export const goLiveForm = {
  tags,
  body: Type.Object({ ...csrf }),
  response: page('The go-live checklist card.'),
};

const SourceForm = Type.Object({
  vendor: field(50),
  name: field(),
  fhir_base_url: field(),
  environment: field(50),
  ...csrf,
});
export type SourceForm = Static<typeof SourceForm>;
const LinkForm = Type.Object({ org_id: field(200), ...csrf });
export type LinkForm = Static<typeof LinkForm>;
const ApiKeyForm = Type.Object({ environment: Type.Optional(oneOf(ENVIRONMENTS)), ...csrf });
export type ApiKeyForm = Static<typeof ApiKeyForm>;
export const sourcePage = {
  tags,
  params: IdParams,
  response: page('A FHIR source: its settings, discovery and linked organizations.'),
};
export const sourceForm = {
  tags,
  body: SourceForm,
  response: { ...afterPost, 409: htmlPage('The form again.'), 422: htmlPage('The form again.') },
};
export const sourceUpdateForm = { ...sourceForm, params: IdParams };
export const sourceAction = { tags, params: IdParams, body: Type.Object({ ...csrf }), response: afterPost };
export const sourceLinkForm = {
  tags,
  params: IdParams,
  body: LinkForm,
  response: afterPost,
};
export const sourceUnlinkForm = {
  tags,
  params: LinkParams,
  body: Type.Object({ ...csrf }),
  response: afterPost,
};

export const organizationView = {
  tags,
  params: IdParams,
  body: Type.Object({ ...csrf }),
  response: afterPost,
};

export const apiKeyForm = {
  tags,
  body: ApiKeyForm,
  response: page('The new key, shown once.'),
};
export const apiKeyRevokePage = { tags, params: IdParams, response: page('Confirm revoking a key.') };
export const apiKeyRevokeForm = {
  tags,
  params: IdParams,
  body: Type.Object({ ...csrf }),
  response: afterPost,
};
