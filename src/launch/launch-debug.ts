/**
 * `/launch-debug?mb_launch=…` — the dev seed's App launch URL. It resolves the handle
 * server-side, as an app backend would, and shows the launch context (never a token), so the
 * guide's "Not Found" placeholder becomes a page that proves the launch worked.
 *
 * Who may see it (`CHARTSIDE_LAUNCH_DEBUG`, routes.ts): off, it is not routed. In development and
 * tests anyone who has the handle. In production only a signed-in console user, and only a
 * launch of their session's organization. The console's cookie is `Path=/admin`, so a browser
 * never sends it to `/launch-debug`: there the page only redirects to `/admin/launch-debug`,
 * under the cookie's path, where the session is read (and sign-in brings the user back).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ConsoleSession, loadSession, SESSION_COOKIE } from '../admin/sessions.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { html } from '../html/escape.ts';
import { page } from '../html/page.ts';
import { CSP } from '../security/csp.ts';
import type { Services } from '../services.ts';
import { type EhrLaunch, findLaunch } from './ehr-launches.ts';
import type { LaunchDebugQuery } from './schemas.ts';
import { isUuid } from './uuid.ts';

type Row = [string, string | null];
type DebugRequest = FastifyRequest<{ Querystring: LaunchDebugQuery }>;

/** Where production serves the page: under the console cookie's path. */
export const CONSOLE_LAUNCH_DEBUG_PATH = '/admin/launch-debug';

/**
 * Whether a console user may see a launch on the debug page: one of the organization their
 * session shows. (Kept apart so a role, e.g. a platform admin's, can widen it in one place.)
 */
export function consoleUserMaySeeLaunch(
  session: Pick<ConsoleSession, 'orgId'>,
  launchOrgId: string,
): boolean {
  return session.orgId !== '' && session.orgId === launchOrgId;
}

export function launchDebugHandlers(services: Services) {
  return {
    /** Development and tests: the page itself, for anyone holding the handle. */
    async open(request: DebugRequest, reply: FastifyReply) {
      return sendPage(reply, await showLaunchDebug(services, request.query.mb_launch));
    },
    /** Production `/launch-debug`: on to the console path, where the session cookie is sent. */
    async toConsole(request: DebugRequest, reply: FastifyReply) {
      const query = request.url.indexOf('?');
      const target = CONSOLE_LAUNCH_DEBUG_PATH + (query === -1 ? '' : request.url.slice(query));
      return reply.header('cache-control', 'no-store').redirect(target, 303);
    },
    /** Production `/admin/launch-debug`: a signed-in console user, a launch of their organization. */
    async forConsoleUser(request: DebugRequest, reply: FastifyReply) {
      // request.cookies: this route's scope registers the cookie parser (routes.ts).
      const session = await loadSession(services.db, request.cookies[SESSION_COOKIE]);
      if (!session) {
        const signIn = `/admin/sign-in?next=${encodeURIComponent(request.url)}`;
        return reply.header('cache-control', 'no-store').redirect(signIn, 303);
      }
      const body = await showLaunchDebug(services, request.query.mb_launch, (launch) =>
        consoleUserMaySeeLaunch(session, launch.org_id),
      );
      return sendPage(reply, body);
    },
  };
}

/**
 * The page for `mb_launch`. A launch `maySee` refuses answers exactly like one that does not
 * exist (no existence oracle across organizations).
 */
export async function showLaunchDebug(
  services: Services,
  mbLaunch: string,
  maySee: (launch: EhrLaunch) => boolean = () => true,
): Promise<string> {
  // Any other value names a launch that does not exist: ids are v4 UUIDs, so only those are looked up.
  const launch = isUuid(mbLaunch) ? await findLaunch(services.db, mbLaunch) : undefined;
  if (!launch || !maySee(launch)) {
    throw new ChartsideError('resource_not_found', {
      param: 'mb_launch',
      message: 'No launch with this id.',
    });
  }
  const context: Row[] = [
    ['mb_launch', launch.id],
    ['Status', launch.status],
    ['Environment', launch.environment],
    ['Patient', launch.patient_fhir_id && `Patient/${launch.patient_fhir_id}`],
    ['Encounter', launch.encounter_fhir_id && `Encounter/${launch.encounter_fhir_id}`],
    ['fhirUser', launch.fhir_user],
    ['Scope granted', launch.scope],
    ['FHIR base URL (iss)', launch.iss],
    ['Vendor', launch.vendor],
    ['Tenant', launch.tenant],
    ['Intent', launch.intent],
    ['fhirContext', launch.fhir_context],
    ['Style (smart_style_url)', launch.smart_style_url],
    ['Other context', launch.extra_context],
    [
      'Patient banner needed',
      launch.need_patient_banner === null ? null : launch.need_patient_banner ? 'yes' : 'no',
    ],
    ['Created', launch.created_at],
    ['Error', launch.error_code && `${launch.error_code}${launch.ehr_error ? ` (${launch.ehr_error})` : ''}`],
  ];
  const tokens: Row[] = [
    ['Access token held', launch.access_token ? 'yes (sealed)' : 'no'],
    ['Refresh token held', launch.refresh_token ? 'yes (sealed)' : 'no'],
    ['Token expires', launch.token_expires_at],
  ];
  const facts = (rows: Row[]) =>
    html`<dl>${rows.filter(([, value]) => value !== null).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
  const ok = launch.status === 'ready';
  // Production looks different on purpose: those are real patients (inline styles: the CSP allows them here).
  const environment =
    launch.environment === 'production'
      ? html`<p id="environment" style="background:#7a1f1f;color:#fff;padding:.5rem .8rem;border-radius:6px;font-weight:600">PRODUCTION · real patient data</p>`
      : html`<p id="environment" style="background:#e8f3ee;color:#1d6b47;border:1px dashed #7fb79b;padding:.5rem .8rem;border-radius:6px">Sandbox · synthetic test patients</p>`;
  return page(
    'Launch debug',
    html`<p class="eyebrow">Launch debug</p>
${environment}
<div class="card">
  <h1 class="${ok ? 'status-ok' : launch.status === 'failed' ? 'status-bad' : ''}">${ok ? 'Launch succeeded' : `Launch ${launch.status}`}</h1>
  <p class="muted">This is Chartside’s built-in launch-debug page. Your app resolves the same handle with
  <code>GET /launch-contexts/${launch.id}</code> and its API key.</p>
  ${facts(context)}
</div>
<div class="card">
  <h2>Tokens</h2>
  <p class="muted">Chartside keeps the EHR’s tokens sealed; apps read FHIR data through Chartside and never see them.</p>
  ${facts(tokens)}
</div>`,
  );
}

function sendPage(reply: FastifyReply, body: string) {
  // The App launch URL may open inside the EHR (PowerChart embeds apps), so framing stays
  // allowed on /launch-debug (security/headers.ts); everything else a page could load is not.
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', CSP.launchDebug)
    .send(body);
}
