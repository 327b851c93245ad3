/**
 * Search-parameter plumbing shared by the resource searches: date prefixes, token values,
 * subject references and the "bad search" outcome (docs/cerner.md §14).
 */
import type { OperationOutcome } from 'fhir/r4.js';
import { operationOutcome } from './fhir-outcomes.ts';

/** Thrown by a search to answer with a FHIR error. */
export class SearchError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    /** 403s carry the insufficient_scope challenge. */
    readonly forbidden = false,
  ) {
    super(outcome.issue[0]?.diagnostics ?? 'search error');
  }
}

export function badSearch(
  diagnostics: string,
  code: OperationOutcome['issue'][number]['code'] = 'invalid',
): SearchError {
  return new SearchError(400, operationOutcome(code, diagnostics));
}

/** Cerner's 400 when no qualifying parameter is given (S7; code `required` is the spec's pick). */
export function noSupportedParameters(): SearchError {
  return badSearch('no supported search parameters provided', 'required');
}

/** All values of a parameter (repeats kept), and a check that it appears at most `max` times. */
export function values(params: URLSearchParams, name: string, max = 1): string[] {
  const all = params.getAll(name);
  if (all.length > max) throw badSearch(`${name} may appear at most ${max} time${max === 1 ? '' : 's'}`);
  return all;
}

export function single(params: URLSearchParams, name: string): string | undefined {
  return values(params, name, 1)[0];
}

type Prefix = 'eq' | 'gt' | 'ge' | 'lt' | 'le';

/** The instant range [start, end) a FHIR date value of some precision stands for. */
function dateRange(value: string): [number, number] | undefined {
  const match = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (match) {
    const [, year, month, day] = match;
    const start = Date.UTC(Number(year), month ? Number(month) - 1 : 0, day ? Number(day) : 1);
    const endDate = new Date(start);
    if (day) endDate.setUTCDate(endDate.getUTCDate() + 1);
    else if (month) endDate.setUTCMonth(endDate.getUTCMonth() + 1);
    else endDate.setUTCFullYear(endDate.getUTCFullYear() + 1);
    return [start, endDate.getTime()];
  }
  const instant = Date.parse(value);
  if (Number.isNaN(instant) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  return [instant, instant + 1000];
}

export interface DateFilter {
  prefix: Prefix;
  range: [number, number];
}

/** Parses `ge2025-01-01` style values; `requirePrefix` for Encounter `date` (S7). */
export function dateFilter(name: string, raw: string, requirePrefix: boolean): DateFilter {
  const match = /^(eq|gt|ge|lt|le)?(.+)$/.exec(raw);
  const prefix = (match?.[1] ?? undefined) as Prefix | undefined;
  if (!prefix && requirePrefix) throw badSearch(`${name} needs a prefix (ge, gt, le or lt)`);
  const range = match ? dateRange(match[2] as string) : undefined;
  if (!range) throw badSearch(`${name} has an invalid date: ${raw}`);
  return { prefix: prefix ?? 'eq', range };
}

export function matchesDate(filter: DateFilter, instant: string | undefined): boolean {
  if (instant === undefined) return false;
  const time = Date.parse(instant);
  const [start, end] = filter.range;
  switch (filter.prefix) {
    case 'eq':
      return time >= start && time < end;
    case 'gt':
      return time >= end;
    case 'ge':
      return time >= start;
    case 'lt':
      return time < start;
    case 'le':
      return time < end;
  }
}

/** `system|code` or `code` (comma lists split by the caller). */
export function tokenMatches(token: string, system: string | undefined, code: string | undefined): boolean {
  const bar = token.indexOf('|');
  if (bar === -1) return token === code;
  const wantedSystem = token.slice(0, bar);
  const wantedCode = token.slice(bar + 1);
  return (wantedSystem === '' || wantedSystem === system) && (wantedCode === '' || wantedCode === code);
}

/**
 * The patient a search targets through `patient`, `subject` (`Patient/x` or bare `x`) or
 * `subject:Patient`. Returns undefined when none is given.
 */
export function targetPatient(params: URLSearchParams): string | undefined {
  const candidates = [
    single(params, 'patient'),
    single(params, 'subject')?.replace(/^Patient\//, ''),
    single(params, 'subject:Patient'),
  ].filter((value): value is string => value !== undefined && value !== '');
  const distinct = new Set(candidates);
  if (distinct.size > 1) throw badSearch('patient and subject name different patients');
  return candidates[0];
}

/** `_count`: a positive integer, capped at `max`. */
export function pageSize(params: URLSearchParams, fallback: number, max: number): number {
  const raw = single(params, '_count');
  if (raw === undefined) return fallback;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1) throw badSearch('_count must be a positive integer');
  return Math.min(count, max);
}
