/**
 * Settings → FHIR sources: list, add (then discover), edit, check discovery again, and which
 * organizations each source is linked to. Platform admins see and change every source; an org
 * operator sees the sources linked to their organization, read-only, and nothing else.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../audit/audit-log.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import {
  addFhirSource,
  type FhirSource,
  findFhirSource,
  listFhirSources,
  updateFhirSource,
} from '../settings/fhir-sources.ts';
import {
  allLinks,
  isLinked,
  linkedOrgIds,
  linkOrgToSource,
  listLinkedSources,
  unlinkOrgFromSource,
} from '../settings/org-links.ts';
import { listOrganizations } from '../settings/organizations.ts';
import { checkDiscovery, storedDiscovery } from '../settings/source-discovery.ts';
import { redirectAfterPost, sendPage } from './console-http.ts';
import type { LinkForm, SourceForm } from './schemas.ts';
import { requirePlatformAdmin, sessionOf } from './session-guard.ts';
import { type ConsoleSession, type Flash, setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import {
  newSourcePage,
  type SourceErrors,
  type SourceFormValues,
  type SourceLinks,
  sourcePage,
  sourcesPage,
} from './views/fhir-sources.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type SourceUpdate = FastifyRequest<{ Params: { id: string }; Body: SourceForm }>;
type LinkRequestBody = FastifyRequest<{ Params: { id: string }; Body: LinkForm }>;
type LinkRequest = FastifyRequest<{ Params: { id: string; orgId: string } }>;

const PARAM_TO_FIELD: Record<string, keyof SourceFormValues> = {
  iss: 'fhir_base_url',
  vendor: 'vendor',
  environment: 'environment',
  name: 'name',
};
const FIELD_LABELS: Record<keyof SourceFormValues, string> = {
  fhir_base_url: 'FHIR base URL',
  vendor: 'Vendor',
  environment: 'Environment',
  name: 'Name',
};

export function fhirSourceHandlers(services: Services) {
  const { db, sealer } = services;

  /** A source the session may see: any for a platform admin, a linked one for an org operator. */
  async function sourceOr404(session: ConsoleSession, id: string): Promise<FhirSource> {
    const source = await findFhirSource(db, id);
    const visible =
      source && (session.role === 'platform_admin' || (await isLinked(db, session.orgId, source.id)));
    if (!source || !visible)
      throw new ChartsideError('resource_not_found', { message: 'There is no such FHIR source.' });
    return source;
  }

  async function linksView(session: ConsoleSession, source: FhirSource): Promise<SourceLinks | null> {
    if (session.role !== 'platform_admin') return null;
    const linked = new Set(await linkedOrgIds(db, source.id));
    const orgs = await listOrganizations(db);
    return {
      linked: orgs.filter((org) => linked.has(org.id)),
      linkable:
        source.environment === 'production' && linked.size > 0 ? [] : orgs.filter((o) => !linked.has(o.id)),
    };
  }

  async function showSource(
    reply: FastifyReply,
    session: ConsoleSession,
    source: FhirSource,
    status: number,
    form: { values?: SourceFormValues; errors?: SourceErrors; flash?: Flash | null } = {},
  ) {
    return sendPage(
      reply,
      status,
      sourcePage({
        viewer: session,
        source,
        values: form.values ?? valuesOf(source),
        errors: form.errors ?? {},
        discovery: storedDiscovery(source),
        editable: session.role === 'platform_admin',
        links: await linksView(session, source),
        flash: form.flash ?? null,
      }),
    );
  }

  return {
    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const flash = await takeFlash(db, sealer, session);
      if (session.role !== 'platform_admin') {
        const linked = await listLinkedSources(db, session.orgId);
        return sendPage(reply, 200, sourcesPage(session, { sources: linked, links: null }, flash));
      }
      const sources = await listFhirSources(db);
      return sendPage(reply, 200, sourcesPage(session, { sources, links: await allLinks(db) }, flash));
    },

    async showNew(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const values = { vendor: 'cerner', name: '', fhir_base_url: '', environment: 'sandbox' };
      return sendPage(reply, 200, newSourcePage(session, values, {}));
    },

    async add(request: FastifyRequest<{ Body: SourceForm }>, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const values = readSourceForm(request.body);
      const errors = preValidate(values);
      if (Object.keys(errors).length > 0) return sendPage(reply, 422, newSourcePage(session, values, errors));
      let source: FhirSource;
      try {
        source = await addFhirSource(db, sourceInput(values));
      } catch (error) {
        const fieldErrors = asFieldErrors(error);
        if (!fieldErrors) throw error;
        return sendPage(reply, 422, newSourcePage(session, values, fieldErrors));
      }
      await recordAudit(db, {
        action: 'fhir_source.added',
        actor: operatorActor(session.email),
        orgId: null,
        requestId: request.id,
        details: { id: source.id, iss: source.fhir_base_url, environment: source.environment },
      });
      const outcome = await checkDiscovery(services, source);
      await setFlash(db, sealer, session, {
        notice: `Added ${source.name}.`,
        discovery: outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason },
      });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },

    async show(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const source = await sourceOr404(session, request.params.id);
      const flash = await takeFlash(db, sealer, session);
      return showSource(reply, session, source, 200, { flash });
    },

    async update(request: SourceUpdate, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const source = await sourceOr404(session, request.params.id);
      const values = readSourceForm(request.body);
      const again = (errors: SourceErrors) => showSource(reply, session, source, 422, { values, errors });
      const errors = preValidate(values);
      if (Object.keys(errors).length > 0) return again(errors);
      let updated: FhirSource;
      try {
        updated = await updateFhirSource(db, source.id, sourceInput(values));
      } catch (error) {
        const fieldErrors = asFieldErrors(error);
        if (!fieldErrors) throw error;
        return again(fieldErrors);
      }
      const fields = (['vendor', 'name', 'fhir_base_url', 'environment'] as const).filter(
        (field) => valuesOf(source)[field] !== valuesOf(updated)[field],
      );
      await recordAudit(db, {
        action: 'fhir_source.updated',
        actor: operatorActor(session.email),
        orgId: null,
        requestId: request.id,
        details: { id: source.id, fields: fields.join(',') },
      });
      if (updated.environment !== source.environment) {
        // Production → sandbox also relaxes the address guard for the source: its own event,
        // for every organization linked to it to find in its audit trail.
        for (const orgId of [null, ...(await linkedOrgIds(db, source.id))]) {
          await recordAudit(db, {
            action: 'fhir_source.environment_changed',
            actor: operatorActor(session.email),
            orgId,
            requestId: request.id,
            details: { id: source.id, from: source.environment, to: updated.environment },
          });
        }
      }
      const outcome = updated.discovery === null ? await checkDiscovery(services, updated) : null;
      await setFlash(db, sealer, session, {
        notice: fields.length > 0 ? `Saved ${updated.name}.` : 'Nothing changed.',
        ...(outcome ? { discovery: outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason } } : {}),
      });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },

    async discover(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const source = await sourceOr404(session, request.params.id);
      const outcome = await checkDiscovery(services, source);
      await recordAudit(db, {
        action: 'fhir_source.discovery_checked',
        actor: operatorActor(session.email),
        orgId: session.orgId,
        requestId: request.id,
        details: { id: source.id, ok: outcome.ok },
      });
      await setFlash(db, sealer, session, {
        discovery: outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason },
      });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },

    async link(request: LinkRequestBody, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const source = await sourceOr404(session, request.params.id);
      const orgId = request.body.org_id ?? '';
      try {
        await linkOrgToSource(db, {
          orgId,
          sourceId: source.id,
          actor: operatorActor(session.email),
          requestId: request.id,
        });
      } catch (error) {
        if (
          !(error instanceof ChartsideError) ||
          !['source_already_linked', 'resource_not_found'].includes(error.code)
        )
          throw error;
        await setFlash(db, sealer, session, { notice: error.message, tone: 'bad' });
        return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
      }
      await setFlash(db, sealer, session, { notice: `Linked ${orgId} to ${source.name}.` });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },

    async unlink(request: LinkRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      requirePlatformAdmin(session);
      const source = await sourceOr404(session, request.params.id);
      await unlinkOrgFromSource(db, {
        orgId: request.params.orgId,
        sourceId: source.id,
        actor: operatorActor(session.email),
        requestId: request.id,
      });
      await setFlash(db, sealer, session, {
        notice: `Unlinked ${request.params.orgId} from ${source.name}.`,
      });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },
  };
}

function readSourceForm(form: SourceForm): SourceFormValues {
  return {
    vendor: form.vendor ?? '',
    name: (form.name ?? '').trim(),
    fhir_base_url: (form.fhir_base_url ?? '').trim(),
    environment: form.environment ?? '',
  };
}

function valuesOf(source: FhirSource): SourceFormValues {
  return {
    vendor: source.vendor,
    name: source.name,
    fhir_base_url: source.fhir_base_url,
    environment: source.environment,
  };
}

/** The checks the settings layer would make one at a time, made together for the form. */
function preValidate(values: SourceFormValues): SourceErrors {
  const errors: SourceErrors = {};
  if (!['cerner', 'epic', 'smart'].includes(values.vendor)) errors.vendor = 'Choose a vendor.';
  if (!['sandbox', 'production'].includes(values.environment))
    errors.environment = 'Choose sandbox or production.';
  if (!values.fhir_base_url) errors.fhir_base_url = 'Enter the FHIR base URL the EHR sends as iss.';
  if (values.name.length > 200) errors.name = 'The name must be at most 200 characters.';
  return errors;
}

function asFieldErrors(error: unknown): SourceErrors | null {
  if (
    !(error instanceof ChartsideError) ||
    !['invalid_data', 'resource_conflict', 'source_already_linked'].includes(error.code)
  )
    return null;
  const field = error.param ? PARAM_TO_FIELD[error.param] : undefined;
  if (!field) return null;
  const message =
    error.param && error.message.startsWith(`${error.param} `)
      ? `${FIELD_LABELS[field]}${error.message.slice(error.param.length)}`
      : error.message;
  return { [field]: message };
}

/** The settings module's input from the form's fields (spec name `fhir_base_url` is the `iss`). */
function sourceInput(values: ReturnType<typeof readSourceForm>) {
  return {
    iss: values.fhir_base_url,
    vendor: values.vendor,
    environment: values.environment,
    name: values.name,
  };
}
