/**
 * The EHR launcher, stand-in for smart.cerner.com (S2, guide steps 4 to 6): sign-in, the
 * "Connect Application" consent, then a launch context and a redirect to the app's SMART Launch
 * URI with `iss` and `launch`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessLines } from './api-access.ts';
import type { SandboxAppRegistration } from './config.ts';
import type { SandboxContext } from './context.ts';
import { findPatient, patientDisplayName, USERS } from './data.ts';
import { URN } from './errors.ts';
import { formBody, queryRecord } from './forms.ts';
import { consentPage, errorPage, messagePage } from './pages-auth.ts';
import { currentSession, redirectToLogin } from './session.ts';
import type { ClinicalContext } from './state.ts';

type LauncherRequest = FastifyRequest<{ Params: { tenant: string; applicationId: string } }>;

/** `{launchUri}?iss={fhirBase}&launch={uuid}`, keeping any query the launch URI already has. */
export function launchUrl(ctx: SandboxContext, app: SandboxAppRegistration, launchId: string): string {
  const url = new URL(app.launchUri);
  url.searchParams.set('iss', ctx.urls.fhirBase);
  url.searchParams.set('launch', launchId);
  return url.toString();
}

/** Patient and encounter of a launch, checked against the fixtures; a string is an error. */
export function clinicalContext(
  patientId: string | undefined,
  encounterId: string | undefined,
  needPatientBanner: boolean,
): ClinicalContext | string {
  const context: ClinicalContext = { needPatientBanner };
  if (patientId) {
    const patient = findPatient(patientId);
    if (!patient) return `Patient ${patientId} does not exist in this tenant.`;
    context.patientId = patient.id;
    if (encounterId) {
      if (encounterId !== patient.encounterId)
        return `Encounter ${encounterId} does not belong to patient ${patient.id}.`;
      context.encounterId = encounterId;
    }
  } else if (encounterId) {
    return 'An encounter needs a patient (PAT_PersonId).';
  }
  return context;
}

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/** The launcher's answer for an application id this tenant does not have (a launch or a consent). */
function sendAppNotFound(reply: FastifyReply): FastifyReply {
  const message = 'No application with this id is registered for this tenant.';
  return sendHtml(reply, 404, messagePage('Application not found', message, 'plain'));
}

export function launcherHandlers(ctx: SandboxContext) {
  function findApp(request: LauncherRequest): SandboxAppRegistration | undefined {
    if (request.params.tenant !== ctx.tenant) return undefined;
    return ctx.appByApplicationId(request.params.applicationId);
  }

  function consentAction(app: SandboxAppRegistration): string {
    return `/smart/${ctx.tenant}/apps/${encodeURIComponent(app.applicationId)}/consent`;
  }

  return {
    async launch(request: LauncherRequest, reply: FastifyReply) {
      const app = findApp(request);
      if (!app) return sendAppNotFound(reply);
      if (app.launchUri === '') {
        return sendHtml(
          reply,
          400,
          messagePage('No SMART Launch URI', 'This application has no SMART Launch URI to open.', 'plain'),
        );
      }
      const query = queryRecord(request);
      const context = clinicalContext(
        query.PAT_PersonId,
        query.VIS_EncntrId,
        query.need_patient_banner !== 'false',
      );
      if (typeof context === 'string') {
        const correlationId = ctx.errorInstances.record(URN.invalidPatientId, context);
        return sendHtml(
          reply,
          400,
          errorPage({ message: context, urn: URN.invalidPatientId, correlationId }),
        );
      }
      if (query.USR_PersonId && !USERS.some((user) => user.practitionerId === query.USR_PersonId)) {
        return sendHtml(
          reply,
          400,
          messagePage('Unknown user', `No user has the person id ${query.USR_PersonId}.`, 'plain'),
        );
      }
      const session = currentSession(ctx, request);
      if (!session) return redirectToLogin(reply, request.url, query.username);
      const consent = ctx.state.createConsent({
        ...context,
        sessionId: session.id,
        applicationId: app.applicationId,
      });
      const patient = context.patientId ? findPatient(context.patientId) : undefined;
      return sendHtml(
        reply,
        200,
        consentPage({
          action: consentAction(app),
          consentId: consent.id,
          appName: app.name,
          // The prompt reads "SMART, WILMA's patient data" (guide step 5).
          patientLabel: patient ? patientDisplayName(patient).toUpperCase() : undefined,
          username: session.username,
          access: accessLines(app.scopes),
          offline: app.accessType === 'offline',
        }),
      );
    },

    async consent(request: LauncherRequest, reply: FastifyReply) {
      const app = findApp(request);
      if (!app) return sendAppNotFound(reply);
      const fields = formBody(request)?.fields ?? {};
      const session = currentSession(ctx, request);
      const consent = session ? ctx.state.takeConsent(fields.consent_id ?? '', session.id) : undefined;
      if (!session || !consent || consent.applicationId !== app.applicationId) {
        return sendHtml(
          reply,
          400,
          messagePage(
            'Request expired',
            'This connection request is no longer valid. Launch the app again.',
            'consent',
          ),
        );
      }
      if (fields.decision !== 'approve') {
        return sendHtml(
          reply,
          200,
          messagePage(
            'Connection not approved',
            'You did not approve the connection. You can close this window.',
            'consent',
          ),
        );
      }
      const { sessionId: _sessionId, applicationId: _applicationId, id: _id, ...clinical } = consent;
      const launch = ctx.state.createLaunch({
        ...clinical,
        clientId: app.clientId,
        username: session.username,
      });
      return reply.redirect(launchUrl(ctx, app, launch.id), 303);
    },

    /** The page an `error_uri` points at (S6 "Error pages"). */
    async errorInstance(
      request: FastifyRequest<{ Params: { urn: string; instance: string } }>,
      reply: FastifyReply,
    ) {
      const known = ctx.errorInstances.lookup(request.params.instance);
      const urn = request.params.urn;
      const body = errorPage({
        message: 'The authorization request could not be completed.',
        urn,
        correlationId: request.params.instance,
        ...(known && known.urn === urn ? { detail: known.detail } : {}),
      });
      return sendHtml(reply, 200, body);
    },
  };
}
