/**
 * The `chartside` command. Spellings are a contract (README.md#command-line): outside scripts
 * call these. Exit 0 on success, 2 on bad input with a one-line reason, 1 on anything else.
 */
import { adminCommand, isAdminCommand } from './admin-commands.ts';
import { auditCommand } from './audit-command.ts';
import { CliUsageError, exitCodeFor, reasonFor } from './cli-errors.ts';
import { runDev } from './dev.ts';
import { doctorCommand } from './doctor-command.ts';
import { keysCommand } from './keys-command.ts';
import { operatorCommand } from './operator-commands.ts';
import { runSandbox, runServe } from './run-commands.ts';

const USAGE = `Usage: chartside <command>

  serve                      the gateway (PORT, HOST, PUBLIC_URL, DATABASE_URL, CHARTSIDE_MASTER_KEY)
  dev                        gateway + local Cerner sandbox + seeded demo org (npm start)
  sandbox                    the local Cerner sandbox EHR alone (SANDBOX_PORT)
  org create --name NAME
  source add --iss URL --vendor cerner|epic|smart --environment sandbox|production [--name N]
  connection set --org ID --vendor cerner [--app-launch-url URL] [--custom-credentials on|off]
      [--client-id ID] [--client-secret-stdin | --client-secret S] [--auth-method private_key_jwt|client_secret_basic]
      [--scopes "…"] [--cds-endpoint URL] [--cds-caching on|off]
  apikey create --org ID
  cds-issuer add --org ID --issuer ISS --jwks-url URL [--jku URL]...   an EHR trusted to call the CDS Hooks URL
  admin create --email E --password-stdin [--org ID] [--json]   a console operator
  audit --org ID [--launch ID] [--since ISO] [--limit N] [--json]
  doctor --org ID [--json]   go-live check: PUBLIC_URL, JWKS, production sources, credentials, launch URLs; exit 1 if any fails
  keys rotate [--alg RS384|ES384] [--json]   a new signing key: published now, signs after the lead time
  keys export --out FILE --passphrase-stdin [--json]   the signing keys, encrypted, for another deployment
  keys import --in FILE --passphrase-stdin [--json]    sign with those keys; this deployment's own keys retire

Admin commands accept --json and then print one JSON object.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'serve') return runServe(process.env);
  if (command === 'dev') return runDev(process.env);
  if (command === 'sandbox') return runSandbox(rest, process.env);
  if (command === 'audit') return auditCommand(rest, process.env);
  if (command === 'doctor') return doctorCommand(rest, process.env);
  const sub = rest[0];
  if (command === 'admin' && sub) return operatorCommand(sub, rest.slice(1), process.env);
  if (command === 'keys' && sub) return keysCommand(sub, rest.slice(1), process.env);
  if (sub && isAdminCommand(command, sub)) return adminCommand(command, sub, rest.slice(1), process.env);
  throw new CliUsageError(
    `unknown command "${[command, sub].filter(Boolean).join(' ')}" (see chartside --help)`,
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running commands return -1 and keep the process alive.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`chartside: ${reasonFor(error)}`);
    process.exitCode = exitCodeFor(error);
  },
);
