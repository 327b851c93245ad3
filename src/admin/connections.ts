/** Settings (with the Go-live checklist), Settings → Connections, and each vendor's Clinical Workflow page. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countActiveApiKeys } from '../api/api-keys.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { type GoLiveReport, runGoLiveChecks } from '../go-live/checks.ts';
import { lastGrant } from '../launch/last-grant.ts';
import type { Services } from '../services.ts';
import { credentialsDiffer, findConnection, setConnection } from '../settings/connections.ts';
import { countFhirSources, VENDOR_LABELS, VENDORS, type Vendor } from '../settings/fhir-sources.ts';
import { listLinkedSources } from '../settings/org-links.ts';
import {
  CREDENTIALS_TARGETS,
  type CredentialsTarget,
  changedFields,
  defaultTarget,
  type FieldErrors,
  fieldOfParam,
  labelled,
  readConnectionForm,
  validateConnectionForm,
  valuesOf,
} from './connection-form.ts';
import { discoveryChecks, launchBlockers, registrationUrls } from './connection-status.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import type { ConnectionForm } from './schemas.ts';
import { sessionOf } from './session-guard.ts';
import { type ConsoleSession, setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import { type ConnectionView, connectionPage } from './views/connection.ts';
import { connectionsPage, settingsPage } from './views/connections.ts';

type VendorRequest = FastifyRequest<{ Params: { vendor: string }; Querystring: { environment?: string } }>;
type VendorForm = FastifyRequest<{ Params: { vendor: string }; Body: ConnectionForm }>;

export function connectionHandlers(services: Services) {
  const { db, sealer, config } = services;

  async function baseView(session: ConsoleSession, vendor: Vendor, requested: unknown) {
    const connection = await findConnection(db, session.orgId, vendor);
    const target = CREDENTIALS_TARGETS.includes(requested as CredentialsTarget)
      ? (requested as CredentialsTarget)
      : defaultTarget(connection);
    return {
      connection,
      target,
      view: {
        viewer: session,
        vendor,
        orgId: session.orgId,
        urls: registrationUrls(config, session.orgId),
        values: valuesOf(connection, vendor, target),
        errors: {},
        target,
        credentials: connection?.credentials ?? null,
        credentialsDiffer: connection ? credentialsDiffer(connection) : false,
        hasClientSecret:
          connection?.credentials[target === 'both' ? 'sandbox' : target].hasClientSecret ?? false,
        secretNotSaved: false,
        savedScopes: valuesOf(connection, vendor).scopes,
        blockers: await launchBlockers(db, config, vendor, connection),
        sourceChecks: connection ? await discoveryChecks(db, config, vendor, connection) : [],
        platformClientId: config.platformClients[vendor]?.clientId ?? null,
        lastGrant: (await lastGrant(db, session.orgId, await vendorSourceIds(session.orgId, vendor))) ?? null,
      } satisfies ConnectionView,
    };
  }

  /** The org's linked sources of this vendor: its launches are the ones this page compares with. */
  async function vendorSourceIds(orgId: string, vendor: Vendor): Promise<string[]> {
    return (await listLinkedSources(db, orgId))
      .filter((source) => source.vendor === vendor)
      .map((source) => source.id);
  }

  async function settingsView(session: ConsoleSession, goLive: GoLiveReport | null) {
    let connectionsReady = 0;
    for (const vendor of VENDORS) {
      const connection = await findConnection(db, session.orgId, vendor);
      if (connection && (await launchBlockers(db, config, vendor, connection)).length === 0)
        connectionsReady++;
    }
    return settingsPage(session, {
      connectionsReady,
      // An org operator counts the sources linked to their org: the ones they can see.
      sources:
        session.role === 'platform_admin'
          ? await countFhirSources(db)
          : (await listLinkedSources(db, session.orgId)).length,
      activeKeys: await countActiveApiKeys(db, session.orgId),
      signingKeys: services.keyRing.jwks.keys.length,
      orgId: session.orgId,
      goLive,
    });
  }

  return {
    async settings(request: FastifyRequest, reply: FastifyReply) {
      return sendPage(reply, 200, await settingsView(sessionOf(request), null));
    },

    /** "Run go-live check": the same checks as `chartside doctor`, answered on the page itself. */
    async goLive(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const report = await runGoLiveChecks(services, session.orgId);
      return sendPage(reply, 200, await settingsView(session, report));
    },

    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const summaries = [];
      for (const vendor of VENDORS) {
        const connection = await findConnection(db, session.orgId, vendor);
        summaries.push({
          vendor,
          saved: connection !== undefined,
          blockers: (await launchBlockers(db, config, vendor, connection)).length,
          clientId: connection?.credentials.production.useCustomCredentials
            ? connection.credentials.production.clientId
            : null,
        });
      }
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, connectionsPage(session, summaries, flash));
    },

    async show(request: VendorRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const vendor = vendorOf(request.params.vendor);
      const { view } = await baseView(session, vendor, request.query.environment);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, connectionPage({ ...view, flash }));
    },

    async save(request: VendorForm, reply: FastifyReply) {
      const session = sessionOf(request);
      const vendor = vendorOf(request.params.vendor);
      const form = request.body;
      const { connection: before, view, target } = await baseView(session, vendor, form.credentials_for);
      const read = readConnectionForm(form, vendor);
      const { errors, changes } = validateConnectionForm(read, config, target, vendor);
      const rerender = (fieldErrors: FieldErrors) =>
        sendPage(
          reply,
          422,
          connectionPage({
            ...view,
            values: read.values,
            errors: fieldErrors,
            secretNotSaved: read.secret !== '' && !fieldErrors.client_secret,
          }),
        );
      if (Object.keys(errors).length > 0) return rerender(errors);

      let after: Awaited<ReturnType<typeof setConnection>>;
      try {
        after = await setConnection(db, sealer, config, session.orgId, vendor, changes);
      } catch (error) {
        const field =
          error instanceof ChartsideError && error.code === 'invalid_data' && fieldOfParam(error.param);
        if (!field) throw error;
        return rerender({ [field]: labelled(error.message, field) });
      }
      const secret =
        changes.clientSecret === undefined ? 'unchanged' : changes.clientSecret ? 'set' : 'removed';
      await recordAudit(db, {
        action: before ? 'connection.updated' : 'connection.created',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
        details: {
          vendor,
          environment: target,
          fields: changedFields(before, after, target).join(','),
          client_secret: secret,
        },
      });
      await setFlash(db, sealer, session, { notice: `Saved the ${VENDOR_LABELS[vendor]} connection.` });
      const again = target === defaultTarget(after) ? '' : `?environment=${target}`;
      return redirectAfterPost(reply, `/admin/settings/connections/${vendor}${again}`);
    },
  };
}

function vendorOf(value: string): Vendor {
  if ((VENDORS as readonly string[]).includes(value)) return value as Vendor;
  throw new ChartsideError('resource_not_found', { message: 'There is no such connection.' });
}
