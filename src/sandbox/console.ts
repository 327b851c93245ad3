/**
 * Code Console handlers: sign-in and sign-out, My Applications, the Application Details page
 * and its URI Edit, and the EHR side of the guide's "Test in the Cerner Code Sandbox" (the two
 * Test Sandbox steps). The wizard is in console-wizard.ts, Cerner Central in console-account.ts.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { firePatientView } from './cds-client.ts';
import {
  checkedPost,
  consoleNotFound,
  sendHtml,
  signedIn,
  viewerOf,
  viewerWithNotice,
} from './console-guard.ts';
import { CONSOLE_COOKIE, consoleSessionOf, isCodeAccount, validCsrf } from './console-session.ts';
import type { SandboxContext } from './context.ts';
import { findPatient, PATIENTS, USERS } from './data.ts';
import { formBody, queryRecord } from './forms.ts';
import {
  appDetailPage,
  appPath,
  CONSOLE_APPS_PATH,
  editUrisPage,
  myApplicationsPage,
  signInPage,
} from './pages-console.ts';
import { readyToLaunchPage, selectPatientPage } from './pages-testing.ts';
import { checkUris, MAX_REDIRECT_URIS, readUris } from './registration-form.ts';
import { safeReturnTo, sessionCookieOptions } from './session.ts';

type AppRequest = FastifyRequest<{ Params: { applicationId: string } }>;

const NO_APP = 'No application with this id is registered.';

export function consoleHandlers(ctx: SandboxContext) {
  const portal = USERS[0];

  /** After sign-in: back where the developer was going, else My Applications. */
  function returnTarget(value: string | undefined): string {
    const target = safeReturnTo(value);
    return target === '/' ? CONSOLE_APPS_PATH : target;
  }

  return {
    async home(_request: FastifyRequest, reply: FastifyReply) {
      return reply.redirect(CONSOLE_APPS_PATH, 302);
    },

    async showSignIn(request: FastifyRequest, reply: FastifyReply) {
      const returnTo = returnTarget(queryRecord(request).return_to);
      if (consoleSessionOf(ctx.consoleSessions, request)) return reply.redirect(returnTo, 303);
      return sendHtml(reply, 200, signInPage({ returnTo, username: '' }));
    },

    async signIn(request: FastifyRequest, reply: FastifyReply) {
      const fields = formBody(request)?.fields ?? {};
      const returnTo = returnTarget(fields.return_to);
      const username = (fields.username ?? '').trim();
      if (!isCodeAccount(username, fields.password ?? '')) {
        const body = signInPage({
          returnTo,
          username,
          error: 'That username and password do not match a Cerner Code account.',
        });
        return sendHtml(reply, 401, body);
      }
      const session = ctx.consoleSessions.create(username);
      reply.setCookie(CONSOLE_COOKIE, session.id, sessionCookieOptions(ctx, false));
      return reply.redirect(returnTo, 303);
    },

    async signOut(request: FastifyRequest, reply: FastifyReply) {
      const session = consoleSessionOf(ctx.consoleSessions, request);
      if (session && validCsrf(session, formBody(request)?.fields ?? {})) ctx.consoleSessions.end(session.id);
      reply.clearCookie(CONSOLE_COOKIE, { path: '/' });
      return reply.redirect(CONSOLE_APPS_PATH, 303);
    },

    async myApplications(request: FastifyRequest, reply: FastifyReply) {
      const { viewer, notice } = viewerWithNotice(ctx, request);
      return sendHtml(reply, 200, myApplicationsPage(ctx.registry.all(), viewer, notice));
    },

    async applicationDetail(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return consoleNotFound(reply, NO_APP);
      const { viewer, notice } = viewerWithNotice(ctx, request);
      const body = appDetailPage({ app, fhirBase: ctx.urls.fhirBase, tenant: ctx.tenant, viewer, notice });
      return sendHtml(reply, 200, body);
    },

    async showEditUris(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return consoleNotFound(reply, NO_APP);
      const session = signedIn(ctx, request, reply);
      if (!session) return reply;
      const body = editUrisPage({
        app,
        session,
        redirectUris: app.redirectUris,
        launchUri: app.launchUri,
        errors: {},
      });
      return sendHtml(reply, 200, body);
    },

    async editUris(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return consoleNotFound(reply, NO_APP);
      const post = checkedPost(ctx, request, reply, `${appPath(app)}/edit`);
      if (!post) return reply;
      const { redirectUris, launchUri } = readUris(post.fields);
      const input = { app, session: post.session, redirectUris, launchUri };
      if (post.fields.action === 'add-redirect-uri') {
        const rows = redirectUris.length < MAX_REDIRECT_URIS ? [...redirectUris, ''] : redirectUris;
        return sendHtml(
          reply,
          200,
          editUrisPage({ ...input, redirectUris: rows, errors: {}, focusRow: rows.length - 1 }),
        );
      }
      const errors = checkUris(app.persona ?? 'provider', redirectUris, launchUri);
      if (Object.keys(errors).length > 0) return sendHtml(reply, 400, editUrisPage({ ...input, errors }));
      ctx.registry.updateUris(app.clientId, {
        redirectUris: redirectUris.filter((uri) => uri !== ''),
        launchUri,
      });
      post.session.notice = 'Saved the URIs. The next launch and authorize use them.';
      return reply.redirect(appPath(app), 303);
    },

    async selectPatient(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return consoleNotFound(reply, NO_APP);
      const query = queryRecord(request);
      return sendHtml(
        reply,
        200,
        selectPatientPage({
          app,
          patients: PATIENTS,
          banner: query.banner === 'no' ? 'no' : 'yes',
          viewer: viewerOf(ctx, request),
          ...(query.patient ? { selected: query.patient } : {}),
        }),
      );
    },

    async readyToLaunch(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return consoleNotFound(reply, NO_APP);
      const query = queryRecord(request);
      const banner = query.banner === 'no' ? 'no' : 'yes';
      const patient = query.patient ? findPatient(query.patient) : undefined;
      const viewer = viewerOf(ctx, request);
      if (!patient) {
        const body = selectPatientPage({
          app,
          patients: PATIENTS,
          banner,
          viewer,
          error: 'Select a patient to continue.',
        });
        return sendHtml(reply, 400, body);
      }
      const launcherUrl = ctx.urls.launcher(app.applicationId, {
        PAT_PersonId: patient.id,
        VIS_EncntrId: patient.encounterId,
        USR_PersonId: portal?.practitionerId ?? '',
        username: portal?.username ?? '',
        need_patient_banner: banner === 'yes' ? 'true' : 'false',
      });
      // The chart opened: fire patient-view at the app's CDS services (none registered: no call).
      const cds = await firePatientView(ctx, app, patient, portal);
      return sendHtml(reply, 200, readyToLaunchPage({ app, patient, banner, launcherUrl, cds, viewer }));
    },
  };
}
