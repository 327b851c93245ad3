/**
 * The FHIR R4 server under `{origin}/r4/{tenant}` (S7): bearer-token check with Cerner's exact
 * 401, scope enforcement with 403, read (conditional with If-None-Match) and search of Patient,
 * Encounter, Observation, Practitioner, Condition, AllergyIntolerance and MedicationRequest,
 * 404/406 handling, and Cerner's response headers.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Resource } from 'fhir/r4.js';
import type { SandboxContext } from './context.ts';
import {
  acceptsFhirJson,
  insufficientScopeOutcome,
  operationOutcome,
  sendFhir,
  setFhirCors,
  setFhirHeaders,
} from './fhir-outcomes.ts';
import { PageContexts, searchsetBundle } from './fhir-paging.ts';
import { badSearch, SearchError } from './fhir-query.ts';
import {
  isSupportedType,
  type PatientAccess,
  patientOf,
  readResource,
  searchResources,
} from './fhir-search.ts';
import { rawQuery } from './forms.ts';
import { decideAccess, type FhirInteraction } from './scopes.ts';

type FhirRequest = FastifyRequest<{ Params: { tenant?: string; '*': string } }>;

/** Parameters that steer paging or formatting rather than select resources. */
const PAGING_PARAMS = ['pageContext', 'direction', '_format'];

/** What a bearer token stands for at the FHIR server. */
export interface FhirGrant {
  scopes: string[];
  patientId: string | undefined;
}

export interface FhirAccess {
  allowed: boolean;
  patientOnly: boolean;
  /** Granular scopes show only some resources (undefined: all of them). */
  visible?(resource: Resource): boolean;
}

/**
 * Who a FHIR base belongs to: the Cerner tenant (below), or a profile server of the Epic or
 * SMART profile (profile-fhir.ts). The search, read, paging and error bodies are the same.
 */
export interface FhirGate {
  /** The FHIR base, no trailing slash: Bundle links and fullUrls. */
  base(): string;
  /** The `realm` of WWW-Authenticate. */
  realm(): string;
  /** Does the route's tenant name this server? (false: 403 "Tenant not valid or accessible") */
  accepts(tenant: string | undefined): boolean;
  /** The bearer token's grant, or undefined (401). */
  grant(bearer: string): Promise<FhirGrant | undefined>;
  decide(scopes: readonly string[], type: string, interaction: FhirInteraction): FhirAccess;
}

/** Cerner: ES256 JWT access tokens, the tenant in the path, Cerner's scope rules (S6, S7). */
export function cernerFhirGate(ctx: SandboxContext): FhirGate {
  return {
    base: () => ctx.urls.fhirBase,
    realm: () => ctx.urls.host,
    accepts: (tenant) => tenant === ctx.tenant,
    async grant(bearer) {
      const claims = await ctx.minter.verifyAccessToken(bearer);
      if (!claims) return undefined;
      const scopes = claims['urn:com:cerner:authorization:claims'].azs.split(' ').filter(Boolean);
      return { scopes, patientId: ctx.state.accessToken(claims.jti)?.patientId };
    },
    decide: decideAccess,
  };
}

export function fhirHandlers(ctx: SandboxContext, gate: FhirGate = cernerFhirGate(ctx)) {
  const pageContexts = new PageContexts(ctx.clock);

  /** Cerner's observed 401 (docs/cerner.md §14, client-js #97/#124). */
  function unauthorized(reply: FastifyReply): FastifyReply {
    const realm = gate.realm();
    reply.header(
      'www-authenticate',
      `Bearer realm="${realm}", error="invalid_token", error_description="Token has expired or signature is invalid"`,
    );
    return sendFhir(reply, 401, {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'login',
          diagnostics: `Bearer realm="${realm}", error="invalid_token"`,
          location: ['http.Authorization'],
        },
      ],
    });
  }

  function insufficientScope(reply: FastifyReply): FastifyReply {
    reply.header('www-authenticate', `Bearer realm="${gate.realm()}", error="insufficient_scope"`);
    return sendFhir(reply, 403, insufficientScopeOutcome());
  }

  function access(
    scopes: readonly string[],
    type: string,
    interaction: FhirInteraction,
    patientId: string | undefined,
  ) {
    const decision = gate.decide(scopes, type, interaction);
    const patientAccess: PatientAccess = { patientOnly: decision.patientOnly, patientId };
    const visible = decision.visible ?? (() => true);
    return { allowed: decision.allowed, patientAccess, visible };
  }

  async function read(
    reply: FastifyReply,
    type: string,
    id: string,
    scopes: string[],
    patientId: string | undefined,
    ifNoneMatch: string | undefined,
  ) {
    const { allowed, patientAccess, visible } = access(scopes, type, 'read', patientId);
    if (!allowed) return insufficientScope(reply);
    const resource = readResource(type, id);
    if (!resource)
      return sendFhir(reply, 404, operationOutcome('not-found', `Resource ${type}/${id} not found`));
    // patient/ scopes reach only the launch patient's compartment (S7).
    const owner = patientOf(resource);
    if (patientAccess.patientOnly && owner !== undefined && owner !== patientId)
      return insufficientScope(reply);
    if (!visible(resource)) return insufficientScope(reply);
    const etag = resource.meta?.versionId ? `W/"${resource.meta.versionId}"` : undefined;
    if (etag) reply.header('etag', etag);
    if (resource.meta?.lastUpdated)
      reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString());
    // Conditional read (FHIR http.html#cread): the client's copy is current.
    if (etag && ifNoneMatch?.split(',').some((tag) => tag.trim() === etag)) {
      setFhirHeaders(reply);
      return reply.code(304).send();
    }
    return sendFhir(reply, 200, resource);
  }

  async function search(
    request: FhirRequest,
    reply: FastifyReply,
    type: string,
    scopes: string[],
    patientId: string | undefined,
  ) {
    const { allowed, patientAccess, visible } = access(scopes, type, 'search', patientId);
    if (!allowed) return insufficientScope(reply);
    const received = new URLSearchParams(rawQuery(request));
    let query: URLSearchParams;
    let offset = 0;
    const contextId = received.get('pageContext');
    if (contextId !== null) {
      const context = pageContexts.find(contextId, type);
      if (!context) throw badSearch('the pageContext is unknown or has expired');
      query = new URLSearchParams(context.query);
      offset = context.offset;
    } else {
      query = new URLSearchParams([...received].filter(([name]) => !PAGING_PARAMS.includes(name)));
    }
    const matches = searchResources(type, query, patientAccess);
    const bundle = searchsetBundle(
      {
        fhirBase: gate.base(),
        resourceType: type,
        selfUrl: `${ctx.urls.origin}${request.url}`,
        query: query.toString(),
        resources: matches.resources.filter(visible),
        offset,
        count: matches.count,
      },
      pageContexts,
    );
    return sendFhir(reply, 200, bundle);
  }

  return {
    async resource(request: FhirRequest, reply: FastifyReply) {
      if (!acceptsFhirJson(request.headers.accept))
        return reply.code(406).header('content-length', '0').send();
      if (!gate.accepts(request.params.tenant)) {
        return sendFhir(reply, 403, operationOutcome('forbidden', 'Tenant not valid or accessible'));
      }
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      const grant = bearer ? await gate.grant(bearer) : undefined;
      if (!grant) return unauthorized(reply);
      const { scopes, patientId } = grant;
      const segments = request.params['*'].split('/').filter((segment) => segment !== '');
      const [type, id, ...rest] = segments;
      if (type === undefined || !isSupportedType(type) || rest.length > 0) {
        return sendFhir(reply, 404, operationOutcome('not-found', `No route for ${request.params['*']}`));
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return sendFhir(
          reply,
          405,
          operationOutcome('not-supported', `${request.method} is not supported by the sandbox`),
        );
      }
      try {
        if (id !== undefined)
          return await read(reply, type, id, scopes, patientId, request.headers['if-none-match']);
        return await search(request, reply, type, scopes, patientId);
      } catch (error) {
        if (!(error instanceof SearchError)) throw error;
        if (error.forbidden) return insufficientScope(reply);
        return sendFhir(reply, error.status, error.outcome);
      }
    },

    /** CORS preflight: 200, echoing the requested headers (docs/cerner.md §14). */
    async preflight(request: FastifyRequest, reply: FastifyReply) {
      setFhirCors(reply);
      const requested = request.headers['access-control-request-headers'];
      if (requested) reply.header('access-control-allow-headers', requested);
      return reply.code(200).send();
    },
  };
}
