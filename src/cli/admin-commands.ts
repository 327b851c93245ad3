/** `org create|link|unlink`, `source add`, `connection set`, `apikey create`, `cds-issuer add`. */
import { parseArgs } from 'node:util';
import { createApiKey } from '../api/api-keys.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { cdsHooksUrl } from '../cds/inbound-jwt.ts';
import { addTrustedCdsIssuer } from '../cds/issuers.ts';
import { loadConfig } from '../config/index.ts';
import { createSealer } from '../crypto/sealing.ts';
import { type DatabaseHandle, migrateToLatest, openDatabase } from '../db/index.ts';
import { launchUrl } from '../launch/urls.ts';
import {
  type ConnectionChanges,
  type ConnectionCredentials,
  setConnection,
} from '../settings/connections.ts';
import { addFhirSource } from '../settings/fhir-sources.ts';
import { linkOrgToSource, unlinkOrgFromSource } from '../settings/org-links.ts';
import { createOrganization } from '../settings/organizations.ts';
import { CliUsageError } from './cli-errors.ts';
import { readSecretLine } from './stdin.ts';

type Flags = Record<string, string | string[] | boolean | undefined>;
type Output = { json: Record<string, unknown>; text: string };

const COMMANDS = {
  'org create': { options: { name: { type: 'string' } } },
  'org link': { options: { org: { type: 'string' }, source: { type: 'string' } } },
  'org unlink': { options: { org: { type: 'string' }, source: { type: 'string' } } },
  'source add': {
    options: {
      iss: { type: 'string' },
      vendor: { type: 'string' },
      environment: { type: 'string' },
      name: { type: 'string' },
    },
  },
  'connection set': {
    options: {
      org: { type: 'string' },
      vendor: { type: 'string' },
      'app-launch-url': { type: 'string' },
      'custom-credentials': { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'client-secret-stdin': { type: 'boolean' },
      'auth-method': { type: 'string' },
      scopes: { type: 'string' },
      'cds-endpoint': { type: 'string' },
      'cds-caching': { type: 'string' },
      environment: { type: 'string' },
    },
  },
  'apikey create': { options: { org: { type: 'string' }, environment: { type: 'string' } } },
  'cds-issuer add': {
    options: {
      org: { type: 'string' },
      issuer: { type: 'string' },
      'jwks-url': { type: 'string' },
      jku: { type: 'string', multiple: true },
    },
  },
} as const;

export function isAdminCommand(command: string, sub: string): boolean {
  return `${command} ${sub}` in COMMANDS;
}

export async function adminCommand(
  command: string,
  sub: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const name = `${command} ${sub}` as keyof typeof COMMANDS;
  const { values } = parseArgs({
    args,
    options: { ...COMMANDS[name].options, json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const flags = values as Flags;
  if (flags['client-secret-stdin']) {
    if (flags['client-secret'] !== undefined) {
      throw new CliUsageError(
        'give the client secret either on standard input or as --client-secret, not both',
      );
    }
    const secret = await readSecretLine(stdin, 'client secret');
    if (!secret) throw new CliUsageError('no client secret on standard input');
    flags['client-secret'] = secret;
  }
  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  try {
    await migrateToLatest(database);
    const output = await run(name, flags, database, config);
    console.log(values.json ? JSON.stringify(output.json) : output.text);
    return 0;
  } finally {
    await database.close();
  }
}

async function run(
  name: keyof typeof COMMANDS,
  flags: Flags,
  { db }: DatabaseHandle,
  config: ReturnType<typeof loadConfig>,
): Promise<Output> {
  const str = (flag: string) => (typeof flags[flag] === 'string' ? (flags[flag] as string) : undefined);
  switch (name) {
    case 'org create': {
      const org = await createOrganization(db, { name: str('name') });
      await recordAudit(db, { action: 'org.created', actor: 'cli', orgId: org.id });
      return {
        json: { id: org.id, name: org.name },
        text: `Created organization ${org.id} (${org.name})\nSMART Launch URI: ${launchUrl(config, org.id)}`,
      };
    }
    case 'org link':
    case 'org unlink': {
      const orgId = str('org');
      const sourceId = str('source');
      if (!orgId || !sourceId) throw new CliUsageError('--org and --source are required');
      const change = { orgId, sourceId, actor: 'cli' };
      const result =
        name === 'org link' ? await linkOrgToSource(db, change) : await unlinkOrgFromSource(db, change);
      return {
        json: { ...result },
        text: result.linked
          ? `Linked ${orgId} to FHIR source ${sourceId}: its launches from that tenant are accepted.`
          : `Unlinked ${orgId} from FHIR source ${sourceId}: its launches from that tenant are refused.`,
      };
    }
    case 'source add': {
      const source = await addFhirSource(db, {
        iss: str('iss'),
        vendor: str('vendor'),
        environment: str('environment'),
        name: str('name'),
      });
      await recordAudit(db, {
        action: 'fhir_source.added',
        actor: 'cli',
        details: { id: source.id, iss: source.fhir_base_url },
      });
      return {
        json: {
          id: source.id,
          fhir_base_url: source.fhir_base_url,
          vendor: source.vendor,
          environment: source.environment,
        },
        text: `Added FHIR source ${source.id} (${source.vendor}, ${source.environment}): ${source.fhir_base_url}`,
      };
    }
    case 'connection set': {
      const orgId = str('org');
      if (!orgId) throw new CliUsageError('--org is required');
      const changes: ConnectionChanges = {
        appLaunchUrl: str('app-launch-url'),
        cdsEndpoint: str('cds-endpoint'),
        cdsCaching: onOff(str('cds-caching'), '--cds-caching'),
        useCustomCredentials: onOff(str('custom-credentials'), '--custom-credentials'),
        clientId: str('client-id'),
        clientSecret: str('client-secret'),
        authMethod: str('auth-method'),
        scopes: str('scopes'),
        environment: str('environment'),
      };
      const connection = await setConnection(
        db,
        createSealer(config.masterKey),
        config,
        orgId,
        str('vendor'),
        changes,
      );
      await recordAudit(db, {
        action: 'connection.updated',
        actor: 'cli',
        orgId,
        details: {
          vendor: connection.vendor,
          environment: changes.environment ?? 'both',
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
          credentials: {
            sandbox: credentialsJson(sandbox),
            production: credentialsJson(production),
          },
        },
        text: `Saved ${connection.vendor} connection ${connection.id} for ${orgId}\nScopes: ${connection.scopes}\nSandbox client: ${clientText(sandbox)}\nProduction client: ${clientText(production)}`,
      };
    }
    case 'apikey create': {
      const orgId = str('org');
      if (!orgId) throw new CliUsageError('--org is required');
      const key = await createApiKey(db, orgId, 'cli', str('environment') ?? 'sandbox');
      return {
        json: { id: key.id, org: orgId, environment: key.environment, prefix: key.prefix, key: key.key },
        text: `Created ${key.environment} API key ${key.id} for ${orgId}: it reads ${key.environment} launches only. Copy it now; it is not shown again:\n${key.key}`,
      };
    }
    case 'cds-issuer add': {
      const orgId = str('org');
      if (!orgId) throw new CliUsageError('--org is required');
      const issuer = str('issuer');
      const jwksUrl = str('jwks-url');
      if (!issuer || !jwksUrl) throw new CliUsageError('--issuer and --jwks-url are required');
      const jku = Array.isArray(flags.jku) ? flags.jku : [];
      const trusted = await addTrustedCdsIssuer(db, config, orgId, { issuer, jwksUrl, jkuAllowlist: jku });
      await recordAudit(db, {
        action: 'cds_issuer.added',
        actor: 'cli',
        orgId,
        details: { id: trusted.id, issuer: trusted.issuer, jwks_url: trusted.jwksUrl },
      });
      return {
        json: {
          id: trusted.id,
          org: orgId,
          issuer: trusted.issuer,
          jwks_url: trusted.jwksUrl,
          jku_allowlist: [...trusted.jkuAllowlist],
        },
        text: `Trusted CDS client ${trusted.issuer} for ${orgId} (keys: ${trusted.jwksUrl})\nCDS Hooks URL: ${cdsHooksUrl(config, orgId)}`,
      };
    }
  }
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
