import { ConfigError } from '../config/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';

/** A malformed command line. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** 2 for bad input (usage, config, validation, unknown ids, conflicts); 1 for anything else. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliUsageError || error instanceof ConfigError) return 2;
  if (error instanceof ChartsideError && error.status < 500) return 2;
  if ((error as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

/** One line, no stack: what went wrong and, where it helps, which parameter. */
export function reasonFor(error: unknown): string {
  if (error instanceof ChartsideError) {
    const message = error.message.replace(/\s+/g, ' ').trim();
    return error.param && !message.startsWith(error.param) ? `${message} (${error.param})` : message;
  }
  if (error instanceof Error) return error.message.split('\n')[0] ?? 'failed';
  return 'failed';
}
