/**
 * `chartside sandbox`: starts the local Cerner sandbox from flags, environment and an optional
 * JSON config file, and prints the Code Console page to open. Bad input throws an Error with a
 * one-line message (the CLI prints it and exits 2).
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  DEFAULT_PORT,
  isAbsoluteUrl,
  loadSandboxConfigFile,
  type SandboxAppRegistration,
  type SandboxOptions,
  validateSandboxOptions,
} from './config.ts';
import { CODE_ACCOUNT } from './console-session.ts';
import { type RunningSandbox, startSandbox } from './index.ts';
import { appPath, CONSOLE_APPS_PATH } from './pages-console.ts';

/** What a Code Console registration gets when made from flags: the guide's provider scopes. */
export const DEFAULT_FLAG_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'online_access',
  'offline_access',
  'user/Patient.read',
  'user/Encounter.read',
  'user/Observation.read',
  'user/Practitioner.read',
];

function parsePort(value: string, source: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new Error(`${source} must be a port number (0-65535), got "${value}"`);
  return port;
}

/** A stable Application ID for a client id, so the Code Console URL survives restarts. */
function applicationIdFor(clientId: string): string {
  const hex = createHash('sha256').update(`chartside-sandbox:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'jwks-url': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'launch-uri': { type: 'string' },
        'access-type': { type: 'string' },
        'data-dir': { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new Error((error as Error).message.split('\n')[0]);
  }
}

type Flags = ReturnType<typeof parseFlags>;

function appFromFlags(flags: Flags): SandboxAppRegistration | undefined {
  const clientId = flags['client-id'];
  if (clientId === undefined) {
    for (const name of ['client-secret', 'jwks-url', 'redirect-uri', 'launch-uri', 'access-type'] as const) {
      if (flags[name] !== undefined) throw new Error(`--${name} needs --client-id`);
    }
    return undefined;
  }
  const redirectUris = flags['redirect-uri'] ?? [];
  if (redirectUris.length === 0) throw new Error('--client-id needs at least one --redirect-uri');
  const bad = redirectUris.find((uri) => !isAbsoluteUrl(uri));
  if (bad !== undefined) throw new Error(`--redirect-uri must be an absolute URI, got "${bad}"`);
  const launchUri = flags['launch-uri'];
  if (launchUri === undefined) throw new Error('--client-id needs --launch-uri (the SMART Launch URI)');
  const accessType = flags['access-type'] ?? 'offline';
  if (accessType !== 'online' && accessType !== 'offline')
    throw new Error('--access-type must be online or offline');
  const app: SandboxAppRegistration = {
    name: 'Sandbox app',
    applicationId: applicationIdFor(clientId),
    clientId,
    redirectUris,
    launchUri,
    accessType,
    scopes: DEFAULT_FLAG_SCOPES,
  };
  if (flags['client-secret'] !== undefined) app.secret = flags['client-secret'];
  if (flags['jwks-url'] !== undefined) app.jwksUrl = flags['jwks-url'];
  return app;
}

/**
 * The Epic and SMART profiles served beside Cerner's (docs/sandbox-profiles.md): their FHIR bases
 * and launchers, and how many apps each has (they come from the config file's `epicApps` and
 * `smartApps`).
 */
export function profileLines(sandbox: RunningSandbox, options: SandboxOptions): string {
  const epicApps = options.epicApps?.length ?? 0;
  const smartApps = options.smartApps?.length ?? 0;
  return `  Epic (non-prod)   ${sandbox.epic.nonProduction.fhirBaseUrl}   (${epicApps} app(s); launcher ${sandbox.epic.nonProduction.launcherUrl})
  Epic (prod)       ${sandbox.epic.production.fhirBaseUrl}
  SMART 2 EHR       ${sandbox.smart.fhirBaseUrl}   (${smartApps} app(s); launcher ${sandbox.smart.launcherUrl})`;
}

/** Flags beat environment variables, which beat the config file. */
export function sandboxOptionsFrom(argv: string[], env: NodeJS.ProcessEnv): SandboxOptions {
  const flags = parseFlags(argv);
  const configPath = flags.config ?? env.SANDBOX_CONFIG;
  const base: SandboxOptions = configPath ? loadSandboxConfigFile(configPath) : { apps: [] };
  const flagApp = appFromFlags(flags);
  const apps = flagApp
    ? [...base.apps.filter((app) => app.clientId !== flagApp.clientId), flagApp]
    : base.apps;
  // No app is fine: the Code Console's + New Application registers them.
  const options: SandboxOptions = { ...base, apps };
  const dataDir = flags['data-dir'] ?? env.SANDBOX_DATA_DIR;
  if (dataDir !== undefined && dataDir !== '') options.dataDir = dataDir;
  if (flags.port !== undefined) options.port = parsePort(flags.port, '--port');
  else if (env.SANDBOX_PORT !== undefined && env.SANDBOX_PORT !== '')
    options.port = parsePort(env.SANDBOX_PORT, 'SANDBOX_PORT');
  else options.port ??= DEFAULT_PORT;
  if (env.SANDBOX_PUBLIC_URL) options.publicOrigin = env.SANDBOX_PUBLIC_URL;
  return validateSandboxOptions(options, 'sandbox settings');
}

export async function runSandboxCommand(argv: string[], env: NodeJS.ProcessEnv): Promise<RunningSandbox> {
  const options = sandboxOptionsFrom(argv, env);
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox(options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${options.host ?? '127.0.0.1'}:${options.port}`;
    throw new Error(`cannot start the sandbox on ${where}: ${code ?? (error as Error).message}`);
  }
  const only = options.apps.length === 1 ? options.apps[0] : undefined;
  const page = `${sandbox.origin}${only ? appPath(only) : CONSOLE_APPS_PATH}`;
  const kept = options.dataDir ? `kept in ${options.dataDir}` : 'kept in memory only (--data-dir keeps them)';
  console.log(`Local Cerner sandbox is running.

  FHIR base (iss)   ${sandbox.fhirBaseUrl}
  Tenant            ${sandbox.tenant}
  My Applications   ${sandbox.origin}${CONSOLE_APPS_PATH}   (sign in as ${CODE_ACCOUNT.username} / ${CODE_ACCOUNT.password}; registrations ${kept})
${profileLines(sandbox, options)}

Open the Code Console page, click "Test Sandbox", pick a patient, sign in as portal / portal
and click Approve Connection:

  ${page}
`);
  return sandbox;
}
