/**
 * Code Console handlers: the EHR side of the guide's "Test in the Cerner Code Sandbox" (My
 * Applications, application detail, system account, Test Sandbox steps).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { firePatientView } from './cds-client.ts';
import type { SandboxContext } from './context.ts';
import { findPatient, PATIENTS, USERS } from './data.ts';
import { queryRecord } from './forms.ts';
import { messagePage } from './pages-auth.ts';
import {
  appDetailPage,
  CONSOLE_APPS_PATH,
  myApplicationsPage,
  readyToLaunchPage,
  selectPatientPage,
  systemAccountPage,
} from './pages-console.ts';

type AppRequest = FastifyRequest<{ Params: { applicationId: string } }>;

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function notFound(reply: FastifyReply): FastifyReply {
  return sendHtml(reply, 404, messagePage('Not found', 'No application with this id is registered.'));
}

export function consoleHandlers(ctx: SandboxContext) {
  const portal = USERS[0];

  return {
    async home(_request: FastifyRequest, reply: FastifyReply) {
      return reply.redirect(CONSOLE_APPS_PATH, 302);
    },

    async myApplications(_request: FastifyRequest, reply: FastifyReply) {
      return sendHtml(reply, 200, myApplicationsPage(ctx.apps));
    },

    async applicationDetail(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return notFound(reply);
      return sendHtml(reply, 200, appDetailPage({ app, fhirBase: ctx.urls.fhirBase, tenant: ctx.tenant }));
    },

    async systemAccount(request: FastifyRequest<{ Params: { clientId: string } }>, reply: FastifyReply) {
      const app = ctx.appByClientId(request.params.clientId);
      if (!app) return sendHtml(reply, 404, messagePage('Not found', 'No system account has this id.'));
      const reveal = queryRecord(request).view === 'secret';
      return sendHtml(reply, 200, systemAccountPage(app, reveal));
    },

    async selectPatient(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return notFound(reply);
      const query = queryRecord(request);
      return sendHtml(
        reply,
        200,
        selectPatientPage({
          app,
          patients: PATIENTS,
          banner: query.banner === 'no' ? 'no' : 'yes',
          ...(query.patient ? { selected: query.patient } : {}),
        }),
      );
    },

    async readyToLaunch(request: AppRequest, reply: FastifyReply) {
      const app = ctx.appByApplicationId(request.params.applicationId);
      if (!app) return notFound(reply);
      const query = queryRecord(request);
      const banner = query.banner === 'no' ? 'no' : 'yes';
      const patient = query.patient ? findPatient(query.patient) : undefined;
      if (!patient) {
        const body = selectPatientPage({
          app,
          patients: PATIENTS,
          banner,
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
      return sendHtml(reply, 200, readyToLaunchPage({ app, patient, banner, launcherUrl, cds }));
    },
  };
}
