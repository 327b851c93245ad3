/** Settings → FHIR sources: list, add (then discover), edit, check discovery again. */
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
import { type FormReader, formOf, redirectAfterPost, sendPage } from './console-http.ts';
import { checkDiscovery, storedDiscovery } from './discovery-check.ts';
import { sessionOf } from './session-guard.ts';
import { setFlash, takeFlash } from './sessions.ts';
import { operatorActor } from './sign-in.ts';
import {
  newSourcePage,
  type SourceErrors,
  type SourceFormValues,
  sourcePage,
  sourcesPage,
} from './views/fhir-sources.ts';

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

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

  async function sourceOr404(id: string): Promise<FhirSource> {
    const source = await findFhirSource(db, id);
    if (!source) throw new ChartsideError('resource_not_found', { message: 'There is no such FHIR source.' });
    return source;
  }

  return {
    async list(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(reply, 200, sourcesPage(session, await listFhirSources(db), flash));
    },

    async showNew(request: FastifyRequest, reply: FastifyReply) {
      const values = { vendor: 'cerner', name: '', fhir_base_url: '', environment: 'sandbox' };
      return sendPage(reply, 200, newSourcePage(sessionOf(request), values, {}));
    },

    async add(request: FastifyRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const values = readSourceForm(formOf(request.body));
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
        orgId: session.orgId,
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
      const source = await sourceOr404(request.params.id);
      const flash = await takeFlash(db, sealer, session);
      return sendPage(
        reply,
        200,
        sourcePage({
          viewer: session,
          source,
          values: valuesOf(source),
          errors: {},
          discovery: storedDiscovery(source),
          flash,
        }),
      );
    },

    async update(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const source = await sourceOr404(request.params.id);
      const values = readSourceForm(formOf(request.body));
      const again = (errors: SourceErrors) =>
        sendPage(
          reply,
          422,
          sourcePage({ viewer: session, source, values, errors, discovery: storedDiscovery(source) }),
        );
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
        orgId: session.orgId,
        requestId: request.id,
        details: { id: source.id, fields: fields.join(',') },
      });
      const outcome = updated.discovery === null ? await checkDiscovery(services, updated) : null;
      await setFlash(db, sealer, session, {
        notice: fields.length > 0 ? `Saved ${updated.name}.` : 'Nothing changed.',
        ...(outcome ? { discovery: outcome.ok ? { ok: true } : { ok: false, reason: outcome.reason } } : {}),
      });
      return redirectAfterPost(reply, `/admin/settings/fhir-sources/${source.id}`);
    },

    async discover(request: IdRequest, reply: FastifyReply) {
      const session = sessionOf(request);
      const source = await sourceOr404(request.params.id);
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
  };
}

function readSourceForm(form: FormReader): SourceFormValues {
  return {
    vendor: form('vendor') ?? '',
    name: (form('name') ?? '').trim(),
    fhir_base_url: (form('fhir_base_url') ?? '').trim(),
    environment: form('environment') ?? '',
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
  if (!(error instanceof ChartsideError) || !['invalid_data', 'resource_conflict'].includes(error.code))
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
