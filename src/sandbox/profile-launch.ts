/**
 * EHR launches of the Epic and SMART profiles: made by the test control `POST /_test/launch` or
 * by the browser launcher page, bound to a user, a client and an EHR session, with the profile's
 * own `launch` value (Epic's is a long opaque string) and context (Epic's login department,
 * SMART's `fhirContext` and `intent`). The app is opened at its launch URI with `iss` and `launch`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { findPatient } from './data.ts';
import { formBody } from './forms.ts';
import { clinicalContext } from './launcher.ts';
import { launcherPage } from './profile-pages.ts';
import type { ProfileClient, ProfileServer } from './profile-types.ts';
import { SESSION_COOKIE } from './session.ts';
import type { LaunchExtras } from './state.ts';

export interface ProfileLaunchInput {
  username: string;
  patientId?: string;
  /** Undefined: the patient's sandbox encounter; null: none. */
  encounterId?: string | null;
  needPatientBanner?: boolean;
  extras?: LaunchExtras;
}

export interface ProfileLaunch {
  iss: string;
  launch: string;
  launch_url: string;
  session_cookie: string;
}

/** The launch, or a sentence saying what is wrong with the input. */
export function createProfileLaunch(
  ctx: SandboxContext,
  server: ProfileServer,
  client: ProfileClient,
  input: ProfileLaunchInput,
): ProfileLaunch | string {
  if (client.launchUri === '') return `${client.name} has no launch URI: it can only be launched standalone`;
  const defaults = server.policy.launchDefaults;
  const patient = input.patientId === undefined ? undefined : findPatient(input.patientId);
  const encounterId = input.encounterId === null ? undefined : (input.encounterId ?? patient?.encounterId);
  const context = clinicalContext(
    input.patientId,
    encounterId,
    input.needPatientBanner ?? defaults.needPatientBanner,
  );
  if (typeof context === 'string') return context;
  const session = ctx.state.createSession(input.username);
  const extras: LaunchExtras = { ...defaults.extras, ...input.extras };
  const launch = ctx.state.createLaunch(
    {
      ...context,
      ...(Object.keys(extras).length > 0 ? { extras } : {}),
      clientId: client.clientId,
      username: input.username,
      sessionId: session.id,
    },
    server.policy.opaque('launch'),
  );
  const url = new URL(client.launchUri);
  url.searchParams.set('iss', server.urls.fhir);
  url.searchParams.set('launch', launch.id);
  return {
    iss: server.urls.fhir,
    launch: launch.id,
    launch_url: url.toString(),
    session_cookie: `${SESSION_COOKIE}=${session.id}`,
  };
}

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

/** The browser launcher: the sandbox clinician `portal` launches an app with a patient. */
export function profileLauncherHandlers(ctx: SandboxContext, server: ProfileServer) {
  return {
    async show(_request: FastifyRequest, reply: FastifyReply) {
      return sendHtml(reply, 200, launcherPage(server));
    },

    async launch(request: FastifyRequest, reply: FastifyReply) {
      const fields = formBody(request)?.fields ?? {};
      const client = server.client(fields.client_id);
      const intent = fields.intent?.trim() ?? '';
      if (!client)
        return sendHtml(reply, 400, launcherPage(server, 'Choose an app registered with this server.'));
      if (intent.length > 200) return sendHtml(reply, 400, launcherPage(server, 'The intent is too long.'));
      const launched = createProfileLaunch(ctx, server, client, {
        username: 'portal',
        ...(fields.patient ? { patientId: fields.patient } : {}),
        ...(intent !== '' && server.profile === 'smart' ? { extras: { intent } } : {}),
      });
      if (typeof launched === 'string') return sendHtml(reply, 400, launcherPage(server, launched));
      return reply.redirect(launched.launch_url, 303);
    },
  };
}
