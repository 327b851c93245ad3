/**
 * Route schemas (JSON Schema, built with TypeBox in each room's `schemas.ts`) validate params,
 * query, headers and body before a handler runs. A failure becomes one {@link InvalidInput}
 * (Fastify's `schemaErrorFormatter`), which the catalogue turns into the route's error code with
 * a message of ours — never Ajv's text, never the value that failed.
 *
 * A schema may word its own messages: `'x-messages': { required: 'iss is missing.', maxLength:
 * '…' }` on the property (or, for a type error on the whole body, on the root), keyed by the
 * failed JSON Schema keyword, plus `code` to answer with another catalogue code than the route's.
 */
import type { FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { ChartsideError, ERRORS, type ErrorCode, toChartsideError } from './catalogue.ts';
import { surfaceOf } from './surface.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The catalogue code of this route's schema failures (default: by surface, errors/fastify.ts). */
    invalidInput?: ErrorCode;
  }
}

/** The schema annotation that words a property's messages (see the module comment). */
export const MESSAGES = 'x-messages';

/**
 * Fastify's ajv: our annotation keyword; `verbose` hands us the failing schema node; a type list
 * (`['string', 'array']`) is how a parameter that may be repeated is described.
 */
export const AJV_OPTIONS = { keywords: [MESSAGES], verbose: true, allowUnionTypes: true };

/** The request part a schema checked. */
type SchemaErrorDataVar = 'body' | 'headers' | 'params' | 'querystring';

type Messages = Partial<Record<string, string>> & { code?: ErrorCode };

/** The first schema failure of a request part, as thrown before the handler. */
export class InvalidInput extends Error {
  override readonly name = 'InvalidInput';
  readonly statusCode = 400;
  constructor(
    readonly failure: FastifySchemaValidationError,
    readonly part: SchemaErrorDataVar,
  ) {
    super(`invalid ${part}`);
  }
}

/** Fastify's `schemaErrorFormatter`: Ajv stops at the first failure (allErrors is off). */
export function schemaErrorFormatter(
  errors: FastifySchemaValidationError[],
  part: SchemaErrorDataVar,
): InvalidInput {
  return new InvalidInput(errors[0] as FastifySchemaValidationError, part);
}

/**
 * Any error a request's handling threw, as a catalogue error: a schema failure answers with the
 * route's `invalidInput` code (default `invalid_data` on the console's forms, else `bad_request`).
 */
export function requestError(thrown: unknown, request: FastifyRequest): ChartsideError {
  if (!(thrown instanceof InvalidInput)) return toChartsideError(thrown);
  const code =
    request.routeOptions.config?.invalidInput ??
    (surfaceOf(request) === 'console' ? 'invalid_data' : 'bad_request');
  return fromInvalidInput(thrown, code);
}

/** The catalogue error for a schema failure, worded by the schema or by the failed keyword. */
export function fromInvalidInput(invalid: InvalidInput, routeCode: ErrorCode): ChartsideError {
  const { failure, part } = invalid;
  const param = paramOf(failure, part);
  const node = (failure as { parentSchema?: Record<string, unknown> }).parentSchema;
  const messages = ((failure.keyword === 'required' ? propertySchema(node, param) : node)?.[MESSAGES] ??
    {}) as Messages;
  const code = messages.code && messages.code in ERRORS ? messages.code : routeCode;
  const message = messages[failure.keyword] ?? messages.default ?? defaultMessage(failure, param, part);
  return new ChartsideError(code, { param, message, cause: invalid });
}

/** The property schema a `required` failure names, so its own messages apply. */
function propertySchema(node: Record<string, unknown> | undefined, param: string | null) {
  const properties = node?.properties as Record<string, Record<string, unknown>> | undefined;
  const name = param?.split('.').at(-1);
  return name && properties && Object.hasOwn(properties, name) ? properties[name] : undefined;
}

/**
 * The field at fault as a dotted path (`context.patientId`). Names come from the schema, or from
 * the client under a record's keys or an array's indexes: kept only when short and plain.
 */
function paramOf(failure: FastifySchemaValidationError, part: SchemaErrorDataVar): string | null {
  const segments = failure.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  // (A closed object's undeclared members are removed, not refused: Fastify's removeAdditional.)
  const named = (failure.params as { missingProperty?: string }).missingProperty;
  if (named !== undefined) segments.push(named);
  const path = segments.join('.');
  if (path === '') return part === 'body' ? null : part;
  return /^[\w.-]{1,64}$/.test(path) ? path : null;
}

function defaultMessage(
  failure: FastifySchemaValidationError,
  param: string | null,
  part: SchemaErrorDataVar,
): string {
  const subject = param ?? (part === 'body' ? 'The request body' : `The ${part}`);
  const params = failure.params as Record<string, unknown>;
  switch (failure.keyword) {
    case 'required':
      return `${subject} is required.`;
    case 'type':
      return `${subject} must be ${article(String(params.type))}.`;
    case 'minLength':
      return params.limit === 1 ? `${subject} must not be empty.` : `${subject} is too short.`;
    case 'maxLength':
      return `${subject} is too long.`;
    case 'maxItems':
      return `${subject} has too many items.`;
    case 'enum':
      return `${subject} must be one of ${(params.allowedValues as unknown[]).join(', ')}.`;
    default:
      return `${subject} is not valid.`;
  }
}

function article(type: string): string {
  if (type === 'object') return 'an object';
  if (type === 'array') return 'an array';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}
