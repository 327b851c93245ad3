/**
 * `/_test/*` controls, registered only with `testControls: true`: skip the browser launch,
 * switch faults, read the request log, move the clock and end sessions (S1, S2, S8).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from './context.ts';
import { findPatient, findUser } from './data.ts';
import { clinicalContext, launchUrl } from './launcher.ts';
import { findProfileClient } from './profile-servers.ts';
import { profileTestLaunch, testSession } from './profile-test-controls.ts';
import type { SandboxProfile } from './request-log.ts';
import { SESSION_COOKIE } from './session.ts';

type JsonBody = Record<string, unknown>;

function jsonBody(request: FastifyRequest): JsonBody {
  const body = request.body;
  return typeof body === 'object' && body !== null && !Array.isArray(body) && !('kind' in body)
    ? (body as JsonBody)
    : {};
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(400).send({ error: 'invalid_request', message });
}

function settingsOf(ctx: SandboxContext) {
  return {
    access_token_lifetime_seconds: ctx.accessTokenLifetimeSeconds,
    rotate_refresh_tokens: ctx.rotateRefreshTokens,
  };
}

function optionalString(body: JsonBody, name: string): string | undefined | null {
  const value = body[name];
  if (value === null) return null;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function testControlHandlers(ctx: SandboxContext) {
  return {
    /**
     * `POST /_test/launch {client_id, patient, encounter?, username?, need_patient_banner?}`.
     * `encounter` defaults to the patient's sandbox encounter; `null` launches without one.
     */
    async launch(request: FastifyRequest, reply: FastifyReply) {
      const body = jsonBody(request);
      const clientId = optionalString(body, 'client_id') ?? undefined;
      const app = ctx.appByClientId(clientId);
      // An app of the Epic or SMART profile: launched by that profile's server.
      const profileApp = app ? undefined : findProfileClient(ctx.profiles, clientId);
      if (profileApp) {
        const launched = profileTestLaunch(ctx, profileApp.server, profileApp.client, body);
        return typeof launched === 'string' ? badRequest(reply, launched) : reply.send(launched);
      }
      if (!app) return badRequest(reply, 'client_id must name a registered app');
      const username = optionalString(body, 'username') ?? 'portal';
      if (!findUser(username)) return badRequest(reply, `unknown username ${username}`);
      const patientId = optionalString(body, 'patient') ?? undefined;
      const patient = patientId ? findPatient(patientId) : undefined;
      if (patientId && !patient) return badRequest(reply, `unknown patient ${patientId}`);
      const encounter = optionalString(body, 'encounter');
      const encounterId = encounter === null ? undefined : (encounter ?? patient?.encounterId);
      const banner = body.need_patient_banner;
      if (banner !== undefined && typeof banner !== 'boolean')
        return badRequest(reply, 'need_patient_banner must be a boolean');
      const context = clinicalContext(patient?.id, encounterId, banner ?? true);
      if (typeof context === 'string') return badRequest(reply, context);
      const session = ctx.state.createSession(username);
      const launch = ctx.state.createLaunch({ ...context, clientId: app.clientId, username });
      return reply.send({
        iss: ctx.urls.fhirBase,
        launch: launch.id,
        launch_url: launchUrl(ctx, app, launch.id),
        session_cookie: `${SESSION_COOKIE}=${session.id}`,
      });
    },

    async getFaults(_request: FastifyRequest, reply: FastifyReply) {
      return reply.send({ faults: ctx.faults.current });
    },

    async putFaults(request: FastifyRequest, reply: FastifyReply) {
      const problem = ctx.faults.apply(request.body);
      if (problem) return badRequest(reply, problem);
      return reply.send({ faults: ctx.faults.current });
    },

    async clearFaults(_request: FastifyRequest, reply: FastifyReply) {
      ctx.faults.clear();
      return reply.send({ faults: ctx.faults.current });
    },

    /** `?profile=cerner|epic|smart`: only what went to that profile. */
    async listRequests(request: FastifyRequest, reply: FastifyReply) {
      const profile = (request.query as Record<string, unknown> | undefined)?.profile;
      if (profile !== undefined && !['cerner', 'epic', 'smart'].includes(profile as string))
        return badRequest(reply, 'profile must be cerner, epic or smart');
      const only = profile as SandboxProfile | undefined;
      return reply.send({ requests: ctx.requestLog.list(only), counts: ctx.requestLog.tally(only) });
    },

    /** `POST /_test/sessions {username?, patient?}`: a signed-in user for a standalone launch. */
    async createSession(request: FastifyRequest, reply: FastifyReply) {
      const created = testSession(ctx, jsonBody(request));
      return typeof created === 'string' ? badRequest(reply, created) : reply.send(created);
    },

    async clearRequests(_request: FastifyRequest, reply: FastifyReply) {
      ctx.requestLog.clear();
      return reply.code(204).send();
    },

    /** `POST /_test/clock {advance_seconds}`: move the sandbox clock forward (codes, launches, tokens). */
    async advanceClock(request: FastifyRequest, reply: FastifyReply) {
      const seconds = jsonBody(request).advance_seconds;
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        return badRequest(reply, 'advance_seconds must be a non-negative number');
      }
      ctx.clock.advance(seconds);
      return reply.send({ now: ctx.clock.now().toISOString() });
    },

    async resetClock(_request: FastifyRequest, reply: FastifyReply) {
      ctx.clock.reset();
      return reply.send({ now: ctx.clock.now().toISOString() });
    },

    /**
     * `PUT /_test/settings {access_token_lifetime_seconds?, rotate_refresh_tokens?}`: change token
     * behaviour for tokens issued from now on. Answers the settings in force.
     */
    async putSettings(request: FastifyRequest, reply: FastifyReply) {
      const body = jsonBody(request);
      const lifetime = body.access_token_lifetime_seconds;
      const rotate = body.rotate_refresh_tokens;
      if (
        lifetime !== undefined &&
        (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 31 || lifetime > 86_400)
      ) {
        return badRequest(reply, 'access_token_lifetime_seconds must be an integer from 31 to 86400');
      }
      if (rotate !== undefined && typeof rotate !== 'boolean') {
        return badRequest(reply, 'rotate_refresh_tokens must be a boolean');
      }
      if (typeof lifetime === 'number') {
        ctx.accessTokenLifetimeSeconds = lifetime;
        ctx.profileTokenLifetimeSeconds = lifetime;
      }
      if (typeof rotate === 'boolean') ctx.rotateRefreshTokens = rotate;
      return reply.send(settingsOf(ctx));
    },

    async getSettings(_request: FastifyRequest, reply: FastifyReply) {
      return reply.send(settingsOf(ctx));
    },

    /**
     * `POST /_test/refresh-tokens/revoke {client_id?, username?}`: revoke refresh tokens the way an
     * administrator would (all of them when no filter is given); refreshes then fail with
     * `token-invalid`.
     */
    async revokeRefreshTokens(request: FastifyRequest, reply: FastifyReply) {
      const body = jsonBody(request);
      const clientId = optionalString(body, 'client_id') ?? undefined;
      const username = optionalString(body, 'username') ?? undefined;
      const revoked = ctx.state.revokeRefreshGrants({
        ...(clientId !== undefined ? { clientId } : {}),
        ...(username !== undefined ? { username } : {}),
      });
      return reply.send({ revoked });
    },

    /** `POST /_test/sessions/end {username?}`: sign users out; online refresh tokens then fail. */
    async endSessions(request: FastifyRequest, reply: FastifyReply) {
      const username = optionalString(jsonBody(request), 'username') ?? undefined;
      return reply.send({ ended: ctx.state.endSessions(username) });
    },
  };
}
