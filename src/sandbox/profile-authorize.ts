/**
 * The authorize endpoint of a profile server, GET and POST (`authorize-post`). An EHR launch
 * takes the user and the patient from its `launch`; a standalone launch signs the user in
 * (sandbox session cookie, or the sign-in page) and, when the policy says so, shows the patient
 * picker. Each waiting step keeps the checked request under an unguessable id for 10 minutes.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sameSecret } from './client-auth.ts';
import type { SandboxContext } from './context.ts';
import { findPatient, findUser } from './data.ts';
import { formBody, queryRecord } from './forms.ts';
import {
  type CheckedAuthorize,
  checkAuthorizeRequest,
  checkClientAndRedirect,
} from './profile-authorize-checks.ts';
import { ProfilePageError, ProfileRedirectError } from './profile-errors.ts';
import { patientPickerPage, profileMessagePage, signInPage } from './profile-pages.ts';
import type { ProfileServer } from './profile-types.ts';
import { currentSession, SESSION_COOKIE, sessionCookieOptions } from './session.ts';
import type { ClinicalContext, Session } from './state.ts';

const PENDING_LIFETIME_MS = 600_000;

interface Pending {
  checked: CheckedAuthorize;
  createdAt: number;
  /** The patient picker answers only the session it was shown to. */
  sessionId?: string;
}

function sendHtml(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);
}

function redirectTo(reply: FastifyReply, uri: string, params: [string, string | undefined][]): FastifyReply {
  const url = new URL(uri);
  for (const [name, value] of params) if (value !== undefined) url.searchParams.append(name, value);
  return reply.redirect(url.toString(), 302);
}

export function profileAuthorizeHandlers(ctx: SandboxContext, server: ProfileServer) {
  const pending = new Map<string, Pending>();

  function remember(checked: CheckedAuthorize, sessionId?: string): string {
    const now = ctx.clock.nowMs();
    for (const [id, entry] of pending) if (now - entry.createdAt > PENDING_LIFETIME_MS) pending.delete(id);
    const id = randomBytes(24).toString('base64url');
    pending.set(id, { checked, createdAt: now, ...(sessionId !== undefined ? { sessionId } : {}) });
    return id;
  }

  function recall(id: string | undefined): Pending | undefined {
    const entry = id === undefined ? undefined : pending.get(id);
    if (!entry || ctx.clock.nowMs() - entry.createdAt > PENDING_LIFETIME_MS) return undefined;
    return entry;
  }

  function fail(reply: FastifyReply, checked: CheckedAuthorize, error: ProfileRedirectError): FastifyReply {
    return redirectTo(reply, checked.redirectUri, [
      ['error', error.error],
      ['error_description', error.description],
      ['state', checked.state],
    ]);
  }

  /** Grants scopes, issues the code and sends the browser back to the app. */
  function finish(
    reply: FastifyReply,
    checked: CheckedAuthorize,
    who: { username: string; sessionId: string },
    context: ClinicalContext,
  ): FastifyReply {
    const { client, launch } = checked;
    const scopes = server.policy.grantScopes({
      requested: checked.requested,
      client,
      launch,
      patientId: context.patientId,
    });
    if (scopes.length === 0) {
      return fail(
        reply,
        checked,
        new ProfileRedirectError('invalid_scope', 'none of the requested scopes can be granted'),
      );
    }
    const code = ctx.state.issueCode(
      {
        tenant: server.id,
        clientId: client.clientId,
        redirectUri: checked.redirectUri,
        scopes,
        username: who.username,
        sessionId: who.sessionId,
        needPatientBanner: context.needPatientBanner,
        ...(context.patientId !== undefined ? { patientId: context.patientId } : {}),
        ...(context.encounterId !== undefined ? { encounterId: context.encounterId } : {}),
        ...(context.extras !== undefined ? { extras: context.extras } : {}),
        ...(checked.codeChallenge !== undefined ? { codeChallenge: checked.codeChallenge } : {}),
        ...(checked.nonce !== undefined ? { nonce: checked.nonce } : {}),
        ...(checked.state !== undefined ? { state: checked.state } : {}),
      },
      server.policy.opaque('code'),
    );
    if (launch) launch.used = true;
    return redirectTo(reply, checked.redirectUri, [
      ['code', code.code],
      ['state', checked.state],
    ]);
  }

  /** A signed-in standalone launch: the patient picker when asked for, else the code. */
  function proceed(reply: FastifyReply, checked: CheckedAuthorize, session: Session, patientId?: string) {
    const defaults = server.policy.launchDefaults;
    const picked = patientId ?? session.patientPick;
    if (server.policy.picksPatient(checked.requested) && picked === undefined) {
      return sendHtml(reply, 200, patientPickerPage(server, checked.client, remember(checked, session.id)));
    }
    const context: ClinicalContext = { needPatientBanner: defaults.needPatientBanner };
    if (server.policy.picksPatient(checked.requested) && picked !== undefined) context.patientId = picked;
    return finish(reply, checked, { username: session.username, sessionId: session.id }, context);
  }

  async function authorize(request: FastifyRequest, reply: FastifyReply, params: Record<string, string>) {
    reply.header('cache-control', 'no-store');
    let trusted: { client: CheckedAuthorize['client']; redirectUri: string };
    try {
      trusted = checkClientAndRedirect(server, params);
    } catch (error) {
      if (!(error instanceof ProfilePageError)) throw error;
      return sendHtml(reply, error.status, profileMessagePage(server, error.title, error.explanation));
    }
    const base = { ...trusted, state: params.state || undefined };
    try {
      const checked: CheckedAuthorize = {
        ...base,
        ...checkAuthorizeRequest(ctx, server, trusted.client, params),
      };
      const { launch } = checked;
      if (launch) {
        // The EHR launch names the user: no sign-in (the clinician is in the EHR already).
        const sessionId = launch.sessionId ?? ctx.state.createSession(launch.username).id;
        return finish(reply, checked, { username: launch.username, sessionId }, launch);
      }
      const session = currentSession(ctx, request);
      if (!session)
        return sendHtml(reply, 200, signInPage(server, trusted.client, { pendingId: remember(checked) }));
      return proceed(reply, checked, session);
    } catch (error) {
      if (!(error instanceof ProfileRedirectError)) throw error;
      return fail(
        reply,
        { ...base, requested: [], codeChallenge: undefined, nonce: undefined, launch: undefined },
        error,
      );
    }
  }

  function expired(reply: FastifyReply): FastifyReply {
    return sendHtml(
      reply,
      400,
      profileMessagePage(server, 'Request expired', 'This sign-in is no longer valid. Open the app again.'),
    );
  }

  return {
    async authorizeGet(request: FastifyRequest, reply: FastifyReply) {
      return authorize(request, reply, queryRecord(request));
    },
    async authorizePost(request: FastifyRequest, reply: FastifyReply) {
      return authorize(request, reply, { ...queryRecord(request), ...(formBody(request)?.fields ?? {}) });
    },

    /** `POST {signIn} {pending, username, password, action}`. */
    async signIn(request: FastifyRequest, reply: FastifyReply) {
      const fields = formBody(request)?.fields ?? {};
      const checked = recall(fields.pending)?.checked;
      if (!checked || fields.pending === undefined) return expired(reply);
      if (fields.action === 'cancel') {
        pending.delete(fields.pending);
        return fail(
          reply,
          checked,
          new ProfileRedirectError('access_denied', 'the user cancelled the sign-in'),
        );
      }
      const user = findUser(fields.username ?? '');
      if (!user?.password || !sameSecret(fields.password ?? '', user.password)) {
        const again = {
          pendingId: fields.pending,
          username: fields.username ?? '',
          error: 'Invalid username or password.',
        };
        return sendHtml(reply, 401, signInPage(server, checked.client, again));
      }
      pending.delete(fields.pending);
      const session = ctx.state.createSession(user.username);
      reply.setCookie(SESSION_COOKIE, session.id, sessionCookieOptions(ctx, false));
      return proceed(reply, checked, session);
    },

    /** `POST {pickPatient} {pending, patient, action}`: only the signed-in user who was shown it. */
    async pickPatient(request: FastifyRequest, reply: FastifyReply) {
      const fields = formBody(request)?.fields ?? {};
      const entry = recall(fields.pending);
      const session = currentSession(ctx, request);
      if (!entry || !session || entry.sessionId !== session.id || fields.pending === undefined)
        return expired(reply);
      const { checked } = entry;
      pending.delete(fields.pending);
      if (fields.action === 'cancel') {
        return fail(
          reply,
          checked,
          new ProfileRedirectError('access_denied', 'the user cancelled the patient selection'),
        );
      }
      const patient = findPatient(fields.patient ?? '');
      if (!patient)
        return sendHtml(
          reply,
          400,
          profileMessagePage(server, 'Unknown patient', 'Pick a patient from the list.'),
        );
      return proceed(reply, checked, session, patient.id);
    },
  };
}
