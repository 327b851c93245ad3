/**
 * What every `chartside` command that works on the database shares: its flags are read one way
 * (strict, no positionals, `--json` everywhere), and it runs one way: load the configuration,
 * open and migrate the database, do its work, print one JSON object (`--json`) or text, close.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, loadConfig } from '../config/index.ts';
import { createSealer, type Sealer } from '../crypto/sealing.ts';
import { type Db, migrateToLatest, openDatabase } from '../db/index.ts';
import { CliUsageError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';

export type FlagOptions = NonNullable<ParseArgsConfig['options']>;
export type Flags = Record<string, string | string[] | boolean | undefined>;

export interface CommandContext {
  db: Db;
  config: Config;
  sealer: Sealer;
}

export interface CommandOutput {
  /** Printed with `--json`, on one line: scripts parse it. */
  json: unknown;
  text: string;
  /** 0 unless the command says otherwise (`doctor`: 1 when a check fails). */
  exitCode?: number;
}

/** The command's flags plus `--json`. Unknown flags and positionals are bad input (exit 2). */
export function parseFlags<const O extends FlagOptions>(args: string[], options: O) {
  return parseArgs({
    args,
    options: { ...options, json: { type: 'boolean' } } as O & { json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  }).values;
}

export function stringFlag(flags: Flags, flag: string): string | undefined {
  const value = flags[flag];
  return typeof value === 'string' ? value : undefined;
}

export function requiredOrg(flags: Flags): string {
  const orgId = stringFlag(flags, 'org');
  if (!orgId) throw new CliUsageError('--org is required');
  return orgId;
}

/**
 * Runs `command` against this deployment's database and prints its output. Input checks that
 * need no database (flags, standard input, files) belong before this call: they then fail
 * without touching the database.
 */
export async function runOnDatabase(
  io: CliIo,
  json: boolean | undefined,
  command: (context: CommandContext) => Promise<CommandOutput>,
): Promise<number> {
  const config = loadConfig(io.env);
  // One connection is enough: a command runs its statements one after another.
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(database);
    const output = await command({ db: database.db, config, sealer: createSealer(config.masterKey) });
    io.print(json ? JSON.stringify(output.json) : output.text);
    return output.exitCode ?? 0;
  } finally {
    await database.close();
  }
}
