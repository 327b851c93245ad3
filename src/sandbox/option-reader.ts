/**
 * Reading a JSON options object field by field (config.ts): each reader names the field at fault
 * in a one-line message, so a bad config file says exactly what to fix.
 */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class OptionReader {
  constructor(private readonly where: string) {}

  fail(field: string, problem: string): never {
    throw new Error(`${this.where}: "${field}" ${problem}`);
  }

  string(obj: Json, field: string, required: true): string;
  string(obj: Json, field: string, required: false): string | undefined;
  string(obj: Json, field: string, required: boolean): string | undefined {
    const value = obj[field];
    if (value === undefined || value === null) {
      if (required) this.fail(field, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, 'must be a non-empty string');
    return value;
  }

  stringList(obj: Json, field: string): string[] {
    const value = obj[field];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
      this.fail(field, 'must be an array of non-empty strings');
    }
    return value as string[];
  }

  integer(obj: Json, field: string, min: number, max: number): number | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  boolean(obj: Json, field: string): boolean | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(field, 'must be true or false');
    return value;
  }

  oneOf<T extends string>(obj: Json, field: string, allowed: readonly T[]): T | undefined {
    const value = obj[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      this.fail(field, `must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}
