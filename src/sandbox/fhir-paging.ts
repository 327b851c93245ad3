/**
 * searchset Bundles and Cerner-style paging (S7): `self` and `next` links, where `next` is the
 * original query plus `pageContext=<uuid>&direction=NEXT`, and page contexts that expire after a
 * few minutes.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Resource } from 'fhir/r4.js';
import type { SandboxClock } from './clock.ts';

const PAGE_CONTEXT_LIFETIME_MS = 5 * 60_000;
const MAX_CONTEXTS = 1000;

/** A remembered search: its original query and where the next page starts. */
export interface PageContext {
  resourceType: string;
  query: string;
  offset: number;
  createdAt: number;
}

export class PageContexts {
  private readonly contexts = new Map<string, PageContext>();

  constructor(private readonly clock: SandboxClock) {}

  create(resourceType: string, query: string, offset: number): string {
    const id = randomUUID();
    this.contexts.set(id, { resourceType, query, offset, createdAt: this.clock.nowMs() });
    if (this.contexts.size > MAX_CONTEXTS) {
      const oldest = this.contexts.keys().next().value;
      if (oldest !== undefined) this.contexts.delete(oldest);
    }
    return id;
  }

  /** The context, or undefined when unknown, of another resource type, or expired. */
  find(id: string, resourceType: string): PageContext | undefined {
    const context = this.contexts.get(id);
    if (!context || context.resourceType !== resourceType) return undefined;
    if (this.clock.nowMs() - context.createdAt > PAGE_CONTEXT_LIFETIME_MS) {
      this.contexts.delete(id);
      return undefined;
    }
    return context;
  }
}

export interface BundleInput {
  fhirBase: string;
  resourceType: string;
  selfUrl: string;
  /** The search's own query (without paging parameters), repeated in the next link. */
  query: string;
  resources: readonly Resource[];
  offset: number;
  count: number;
}

export function searchsetBundle(input: BundleInput, contexts: PageContexts): Bundle {
  const page = input.resources.slice(input.offset, input.offset + input.count);
  const link: Bundle['link'] = [{ relation: 'self', url: input.selfUrl }];
  const nextOffset = input.offset + input.count;
  if (nextOffset < input.resources.length) {
    const context = contexts.create(input.resourceType, input.query, nextOffset);
    const next = new URLSearchParams(input.query);
    next.set('pageContext', context);
    next.set('direction', 'NEXT');
    link.push({ relation: 'next', url: `${input.fhirBase}/${input.resourceType}?${next.toString()}` });
  }
  const bundle: Bundle = { resourceType: 'Bundle', id: randomUUID(), type: 'searchset', link };
  if (page.length > 0) {
    bundle.entry = page.map((resource) => ({
      fullUrl: `${input.fhirBase}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    }));
  }
  return bundle;
}
