/**
 * The `chartside` command. Spellings are a contract (README.md#command-line): outside scripts
 * call these. Exit 0 on success, 2 on bad input with a one-line reason, 1 on anything else.
 * main.ts runs it as the process; tests run it in-process with their own streams (cli-io.ts).
 */
import { CliUsageError, exitCodeFor, reasonFor } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';

const USAGE = `Usage: chartside <command>

  serve                      the gateway (PORT, HOST, PUBLIC_URL, DATABASE_URL, CHARTSIDE_MASTER_KEY)
  dev                        gateway + local Cerner sandbox + seeded demo org (npm start)
  sandbox [--data-dir DIR]   the local Cerner sandbox EHR alone (SANDBOX_PORT; registrations kept in DIR)
  org create --name NAME
  source add --iss URL --vendor cerner|epic|smart --environment sandbox|production [--name N]
  connection set --org ID --vendor cerner|epic|smart [--app-launch-url URL] [--custom-credentials on|off]
      [--client-id ID] [--client-secret-stdin | --client-secret S] [--auth-method private_key_jwt|client_secret_basic]
      [--signing-alg auto|RS384|ES384] [--jku on|off] [--scopes "…"] [--cds-endpoint URL] [--cds-caching on|off]
      [--environment sandbox|production]   credentials for one environment (Epic: non-production, production)
  apikey create --org ID
  cds-issuer add --org ID --issuer ISS --jwks-url URL [--jku URL]...   an EHR trusted to call the CDS Hooks URL
  admin create --email E --password-stdin [--org ID] [--json]   a console operator
  audit --org ID [--launch ID] [--since ISO] [--limit N] [--json]
  webhook add --org ID --url URL [--events a,b] [--json]   a webhook endpoint; prints its signing secret once
  webhook list --org ID [--json]
  webhook remove --org ID --id ID [--json]
  doctor --org ID [--json]   go-live check: PUBLIC_URL, JWKS, production sources, credentials, launch URLs; exit 1 if any fails
  keys rotate [--alg RS384|ES384] [--json]   a new signing key: published now, signs after the lead time
  keys export --out FILE --passphrase-stdin [--json]   the signing keys, encrypted, for another deployment
  keys import --in FILE --passphrase-stdin [--json]    sign with those keys; this deployment's own keys retire

Admin commands accept --json and then print one JSON object.`;

/**
 * Runs one command and returns its exit code (-1: a long-running command keeps the process
 * alive). Failures are printed as one line, `chartside: <reason>`, never a stack.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    io.printError(`chartside: ${reasonFor(error)}`);
    return exitCodeFor(error);
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.print(USAGE);
    return command ? 0 : 2;
  }
  // Each command loads only its own modules: tsx compiles every imported file at each start,
  // and the gateway and sandbox that serve, dev and sandbox need are most of the source.
  const { env } = io;
  if (command === 'serve') return (await import('./run-commands.ts')).runServe(env);
  if (command === 'dev') return (await import('./dev.ts')).runDev(env);
  if (command === 'sandbox') return (await import('./run-commands.ts')).runSandbox(rest, env);
  if (command === 'audit') return (await import('./audit-command.ts')).auditCommand(rest, io);
  if (command === 'doctor') return (await import('./doctor-command.ts')).doctorCommand(rest, io);
  const sub = rest[0];
  if (command === 'admin' && sub)
    return (await import('./operator-commands.ts')).operatorCommand(sub, rest.slice(1), io);
  if (command === 'keys' && sub)
    return (await import('./keys-command.ts')).keysCommand(sub, rest.slice(1), io);
  const admin = sub ? await import('./admin-commands.ts') : undefined;
  if (sub && admin?.isAdminCommand(command, sub)) return admin.adminCommand(command, sub, rest.slice(1), io);
  throw new CliUsageError(
    `unknown command "${[command, sub].filter(Boolean).join(' ')}" (see chartside --help)`,
  );
}
