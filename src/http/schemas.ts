/**
 * Building blocks for route schemas (JSON Schema through TypeBox). Each room describes its own
 * routes in a `schemas.ts` beside its `routes.ts`; these are the pieces several rooms share.
 * The schemas validate requests before handlers run (errors/invalid-input.ts) and serialize JSON
 * answers; they are also what describes the API to a machine.
 */
import { type TSchema, type TUnsafe, Type } from 'typebox';
import { MESSAGES } from '../errors/invalid-input.ts';

export { MESSAGES };

/** A string or `null` (a field that is always present and null when unknown). */
export function nullableString(options: Record<string, unknown> = {}): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], ...options });
}

/** A boolean or `null`. */
export function nullableBoolean(options: Record<string, unknown> = {}): TUnsafe<boolean | null> {
  return Type.Unsafe<boolean | null>({ type: ['boolean', 'null'], ...options });
}

/** One of a fixed list of strings. */
export function oneOf<const Values extends readonly string[]>(
  values: Values,
  options: Record<string, unknown> = {},
): TUnsafe<Values[number]> {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: [...values], ...options });
}

/** A short text field: at most `maxLength` characters (a form field, a query value, an id). */
export function text(maxLength: number, options: Record<string, unknown> = {}) {
  return Type.String({ maxLength, ...options });
}

/** A server-rendered page as a response: HTML, never serialized by a schema. */
export function htmlPage(description: string) {
  return { description, content: { 'text/html': { schema: Type.String() } } };
}

/** A redirect (no body; the target is in `Location`). */
export function redirect(description: string) {
  return Type.Unsafe<undefined>({ description, type: 'null' });
}

/** Any JSON value, described only. */
export function anyJson(description: string): TSchema {
  return Type.Unsafe<unknown>({ description });
}
