/**
 * `chartside admin create --email E --password-stdin [--org ID] [--json]`: a console user. With
 * --org an org operator of that organization; without it a platform admin (manages FHIR sources
 * and org links for every organization). The password is read from standard input (never a
 * flag: flags end up in shell history and `ps`).
 */
import { parseArgs } from 'node:util';
import { createOperator } from '../admin/operators.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { loadConfig } from '../config/index.ts';
import { migrateToLatest, openDatabase } from '../db/index.ts';
import { CliUsageError } from './cli-errors.ts';
import { readSecretLine } from './stdin.ts';

export async function operatorCommand(
  sub: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  if (sub !== 'create') throw new CliUsageError(`unknown command "admin ${sub}" (see chartside --help)`);
  const { values } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      org: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.email) throw new CliUsageError('--email is required');
  if (!values['password-stdin']) {
    throw new CliUsageError('--password-stdin is required: pipe the password on standard input');
  }
  const password = await readSecretLine(stdin, 'password');
  if (!password) throw new CliUsageError('no password on standard input');

  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(database);
    const { db } = database;
    const orgId = values.org ?? null;
    const operator = await createOperator(db, { orgId, email: values.email, password });
    await recordAudit(db, {
      action: 'operator.created',
      actor: 'cli',
      orgId,
      details: { id: operator.id, email: operator.email, role: operator.role },
    });
    const signIn = `${config.publicUrl}/admin/sign-in`;
    const who = orgId ? `an org operator of ${orgId}` : 'a platform admin';
    console.log(
      values.json
        ? JSON.stringify({
            id: operator.id,
            email: operator.email,
            org: orgId,
            role: operator.role,
            sign_in_url: signIn,
          })
        : `Created ${operator.email} (${operator.id}), ${who}\nSign in at ${signIn}`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
