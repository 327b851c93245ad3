/**
 * FHIR R4 through Chartside's proxy for one launch: `<baseUrl>/fhir/<launch id>/<FHIR path>`.
 * Chartside adds the EHR token and relays the EHR's answer; Bundle `next` links already point back
 * at the gateway, so paging follows them as they are.
 * @see http://hl7.org/fhir/R4/http.html
 */
import type { Bundle, FhirResource } from 'fhir/r4.js';
import type { HttpMethod } from './retry.ts';
import { jsonOf, type Transport } from './transport.ts';

export type ResourceType = FhirResource['resourceType'];
export type ResourceOf<K extends ResourceType> = Extract<FhirResource, { resourceType: K }>;

type SearchValue = string | number | boolean;
/** Search parameters; an array repeats the parameter (`code=a&code=b`). */
export type SearchParams =
  | URLSearchParams
  | Readonly<Record<string, SearchValue | readonly SearchValue[] | undefined>>;

/** A JSON Patch operation (RFC 6902), as FHIR's PATCH takes it. */
export interface JsonPatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly value?: unknown;
  readonly from?: string;
}

/** What a create, update, patch or delete answered. */
export interface WriteResult<T> {
  readonly status: number;
  /** The `Location` header (pointing back at the gateway), when sent. */
  readonly location: string | null;
  readonly etag: string | null;
  /** The resource in the body, when the EHR returned one (`Prefer: return=representation`). */
  readonly resource: T | null;
}

export interface WriteOptions {
  /** `If-Match` (an ETag such as `W/"3"`): the write applies only to that version. */
  readonly ifMatch?: string;
  /** `Prefer`, e.g. `return=representation`. */
  readonly prefer?: string;
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const FHIR_JSON = 'application/fhir+json';

export class FhirClient {
  /** `<baseUrl>/fhir/<launch id>/`: every request and followed link stays under it. */
  private readonly base: URL;

  constructor(
    private readonly transport: Transport,
    readonly launchId: string,
  ) {
    this.base = transport.url(`fhir/${encodeURIComponent(launchId)}/`);
  }

  /** `GET <type>/<id>`. */
  async read<K extends ResourceType>(type: K, id: string): Promise<ResourceOf<K>> {
    const response = await this.request('GET', `${checkedType(type)}/${encodeURIComponent(id)}`);
    return (await jsonOf<ResourceOf<K>>(response)) as ResourceOf<K>;
  }

  /** `GET <type>?<params>`: one page, the searchset Bundle as the EHR answered it. */
  async search<K extends ResourceType>(type: K, params: SearchParams = {}): Promise<Bundle<ResourceOf<K>>> {
    const response = await this.request('GET', `${checkedType(type)}${queryOf(params)}`);
    return (await jsonOf<Bundle<ResourceOf<K>>>(response)) as Bundle<ResourceOf<K>>;
  }

  /** Every page of a search, following each Bundle's `next` link until there is none. */
  async *pages<K extends ResourceType>(
    type: K,
    params: SearchParams = {},
  ): AsyncGenerator<Bundle<ResourceOf<K>>> {
    let page = await this.search(type, params);
    const seen = new Set<string>();
    for (;;) {
      yield page;
      const next = page.link?.find((link) => link.relation === 'next')?.url;
      // A server that links a page to itself would otherwise be paged forever.
      if (!next || seen.has(next)) return;
      seen.add(next);
      const response = await this.transport.call(this.underBase(new URL(next)), {
        method: 'GET',
        headers: { accept: FHIR_JSON },
      });
      page = (await jsonOf<Bundle<ResourceOf<K>>>(response)) as Bundle<ResourceOf<K>>;
    }
  }

  /**
   * The search's matches across every page, one resource at a time (entries of another type,
   * such as `_include`d ones or an OperationOutcome, are left out: use {@link pages} for those).
   */
  async *searchAll<K extends ResourceType>(
    type: K,
    params: SearchParams = {},
  ): AsyncGenerator<ResourceOf<K>> {
    for await (const page of this.pages(type, params)) {
      for (const entry of page.entry ?? []) {
        const resource = entry.resource as FhirResource | undefined;
        if (resource?.resourceType === type) yield resource as ResourceOf<K>;
      }
    }
  }

  /** `POST <type>` with the resource. */
  async create<R extends FhirResource>(resource: R, options: WriteOptions = {}): Promise<WriteResult<R>> {
    const response = await this.request('POST', checkedType(resource.resourceType), {
      body: JSON.stringify(resource),
      contentType: FHIR_JSON,
      ...options,
    });
    return writeResult<R>(response);
  }

  /** `PUT <type>/<id>` with the resource (its `id` names it). */
  async update<R extends FhirResource>(resource: R, options: WriteOptions = {}): Promise<WriteResult<R>> {
    if (!resource.id) throw new TypeError('update needs a resource with an id.');
    const path = `${checkedType(resource.resourceType)}/${encodeURIComponent(resource.id)}`;
    const response = await this.request('PUT', path, {
      body: JSON.stringify(resource),
      contentType: FHIR_JSON,
      ...options,
    });
    return writeResult<R>(response);
  }

  /** `PATCH <type>/<id>` with a JSON Patch. */
  async patch<K extends ResourceType>(
    type: K,
    id: string,
    operations: readonly JsonPatchOperation[],
    options: WriteOptions = {},
  ): Promise<WriteResult<ResourceOf<K>>> {
    const response = await this.request('PATCH', `${checkedType(type)}/${encodeURIComponent(id)}`, {
      body: JSON.stringify(operations),
      contentType: 'application/json-patch+json',
      ...options,
    });
    return writeResult<ResourceOf<K>>(response);
  }

  /** `DELETE <type>/<id>`. */
  async delete<K extends ResourceType>(
    type: K,
    id: string,
    options: WriteOptions = {},
  ): Promise<WriteResult<never>> {
    const response = await this.request('DELETE', `${checkedType(type)}/${encodeURIComponent(id)}`, options);
    return writeResult<never>(response);
  }

  /**
   * Any FHIR request under the launch's FHIR base (`path` as FHIR writes it: `Patient/1/$everything`,
   * `metadata`, `Observation?code=…`). Resolves with a 2xx Response; anything else throws.
   */
  async request(
    method: HttpMethod,
    path: string,
    init: WriteOptions & { readonly body?: string; readonly contentType?: string } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: FHIR_JSON };
    if (init.contentType) headers['content-type'] = init.contentType;
    if (init.ifMatch) headers['if-match'] = init.ifMatch;
    if (init.prefer) headers.prefer = init.prefer;
    const url = this.underBase(new URL(path.replace(/^\/+/, ''), this.base));
    return this.transport.call(url, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  }

  /** `url`, if it is this launch's FHIR base or under it (`..` in a path resolves away from it). */
  private underBase(url: URL): URL {
    const base = this.base.pathname;
    const inside = url.pathname === base.slice(0, -1) || url.pathname.startsWith(base);
    if (url.origin !== this.base.origin || !inside) {
      throw new TypeError(
        `Refusing to send the API key to ${url.origin}${url.pathname}: not under ${this.base.href}.`,
      );
    }
    return url;
  }
}

function checkedType(type: string): string {
  if (!RESOURCE_TYPE.test(type)) throw new TypeError(`Not a FHIR resource type: ${JSON.stringify(type)}`);
  return type;
}

function queryOf(params: SearchParams): string {
  const query = new URLSearchParams();
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) query.append(name, value);
  } else {
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) query.append(name, String(one));
    }
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}

async function writeResult<T>(response: Response): Promise<WriteResult<T>> {
  return {
    status: response.status,
    location: response.headers.get('location'),
    etag: response.headers.get('etag'),
    resource: await jsonOf<T>(response),
  };
}
