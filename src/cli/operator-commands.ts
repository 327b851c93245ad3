/**
 * `chartside admin create --email E --password-stdin [--org ID] [--json]`: a console user. With
 * --org an org operator of that organization; without it a platform admin (manages FHIR sources
 * and org links for every organization). The password is read from standard input (never a
 * flag: flags end up in shell history and `ps`).
 */
import { createOperator } from '../admin/operators.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { CliUsageError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, runOnDatabase } from './command-runner.ts';
import { readSecretLine } from './stdin.ts';

export async function operatorCommand(sub: string, args: string[], io: CliIo): Promise<number> {
  if (sub !== 'create') throw new CliUsageError(`unknown command "admin ${sub}" (see chartside --help)`);
  const values = parseFlags(args, {
    email: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    org: { type: 'string' },
  });
  const email = values.email;
  if (!email) throw new CliUsageError('--email is required');
  if (!values['password-stdin']) {
    throw new CliUsageError('--password-stdin is required: pipe the password on standard input');
  }
  const password = await readSecretLine(io.stdin, 'password');
  if (!password) throw new CliUsageError('no password on standard input');

  return runOnDatabase(io, values.json, async ({ db, config }) => {
    const orgId = values.org ?? null;
    const operator = await createOperator(db, { orgId, email, password });
    await recordAudit(db, {
      action: 'operator.created',
      actor: 'cli',
      orgId,
      details: { id: operator.id, email: operator.email, role: operator.role },
    });
    const signIn = `${config.publicUrl}/admin/sign-in`;
    const who = orgId ? `an org operator of ${orgId}` : 'a platform admin';
    return {
      json: { id: operator.id, email: operator.email, org: orgId, role: operator.role, sign_in_url: signIn },
      text: `Created ${operator.email} (${operator.id}), ${who}\nSign in at ${signIn}`,
    };
  });
}
