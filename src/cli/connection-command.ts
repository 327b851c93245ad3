/**
 * `connection set`: an org's connection to a vendor (launch URL, CDS endpoint and caching,
 * scopes) and its client credentials per environment, both environments unless --environment.
 */
import { recordAudit } from '../audit/audit-log.ts';
import {
  type ConnectionChanges,
  type ConnectionCredentials,
  setConnection,
} from '../settings/connections.ts';
import { CliUsageError } from './cli-errors.ts';
import {
  type CommandContext,
  type CommandOutput,
  type Flags,
  requiredOrg,
  stringFlag,
} from './command-runner.ts';
import { readSecretLine } from './stdin.ts';

/** `--client-secret-stdin`: the secret as if given as `--client-secret`, kept out of ps and history. */
export async function readClientSecret(flags: Flags, stdin: NodeJS.ReadableStream): Promise<void> {
  if (!flags['client-secret-stdin']) return;
  if (flags['client-secret'] !== undefined) {
    throw new CliUsageError(
      'give the client secret either on standard input or as --client-secret, not both',
    );
  }
  const secret = await readSecretLine(stdin, 'client secret');
  if (!secret) throw new CliUsageError('no client secret on standard input');
  flags['client-secret'] = secret;
}

export async function saveConnection(
  flags: Flags,
  { db, config, sealer }: CommandContext,
): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const changes: ConnectionChanges = {
    appLaunchUrl: stringFlag(flags, 'app-launch-url'),
    cdsEndpoint: stringFlag(flags, 'cds-endpoint'),
    cdsCaching: onOff(stringFlag(flags, 'cds-caching'), '--cds-caching'),
    useCustomCredentials: onOff(stringFlag(flags, 'custom-credentials'), '--custom-credentials'),
    clientId: stringFlag(flags, 'client-id'),
    clientSecret: stringFlag(flags, 'client-secret'),
    authMethod: stringFlag(flags, 'auth-method'),
    signingAlg: stringFlag(flags, 'signing-alg'),
    assertionJku: onOff(stringFlag(flags, 'jku'), '--jku'),
    scopes: stringFlag(flags, 'scopes'),
    environment: stringFlag(flags, 'environment'),
  };
  const connection = await setConnection(db, sealer, config, orgId, stringFlag(flags, 'vendor'), changes);
  await recordAudit(db, {
    action: 'connection.updated',
    actor: 'cli',
    orgId,
    details: {
      vendor: connection.vendor,
      environment: changes.environment ?? 'both',
      // Which fields changed, never their values: the client secret is one of them.
      fields: Object.keys(changes)
        .filter((k) => k !== 'environment' && changes[k as keyof ConnectionChanges] !== undefined)
        .join(','),
    },
  });
  const { sandbox, production } = connection.credentials;
  return {
    json: {
      id: connection.id,
      org: orgId,
      vendor: connection.vendor,
      scopes: connection.scopes,
      signing_alg: connection.signingAlg ?? 'auto',
      jku: connection.assertionJku,
      credentials: {
        sandbox: credentialsJson(sandbox),
        production: credentialsJson(production),
      },
    },
    text: `Saved ${connection.vendor} connection ${connection.id} for ${orgId}\nScopes: ${connection.scopes}\nAssertion: ${connection.signingAlg ?? 'auto (the EHR’s choice)'}${connection.assertionJku ? ' with jku' : ''}\nSandbox client: ${clientText(sandbox)}\nProduction client: ${clientText(production)}`,
  };
}

function credentialsJson(credentials: ConnectionCredentials) {
  return {
    custom_credentials: credentials.useCustomCredentials,
    client_id: credentials.clientId,
    client_secret_set: credentials.hasClientSecret,
    auth_method: credentials.authMethod,
  };
}

function clientText(credentials: ConnectionCredentials): string {
  if (!credentials.useCustomCredentials) return 'the platform client';
  return `${credentials.clientId} (${credentials.authMethod}${credentials.hasClientSecret ? ', secret set' : ''})`;
}

function onOff(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new CliUsageError(`${flag} must be on or off`);
}
