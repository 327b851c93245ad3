/**
 * `org create|link|unlink`, `source add`, `connection set`, `apikey create`, `cds-issuer add`,
 * `webhook add|list|remove`:
 * one entry each in COMMANDS (its flags, and what it does with them), run by `adminCommand`.
 */
import { createApiKey } from '../api/api-keys.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { cdsHooksUrl } from '../cds/inbound-jwt.ts';
import { addTrustedCdsIssuer } from '../cds/issuers.ts';
import { launchUrl } from '../launch/urls.ts';
import { addFhirSource } from '../settings/fhir-sources.ts';
import { linkOrgToSource, unlinkOrgFromSource } from '../settings/org-links.ts';
import { createOrganization } from '../settings/organizations.ts';
import { CliUsageError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';
import {
  type CommandContext,
  type CommandOutput,
  type FlagOptions,
  type Flags,
  parseFlags,
  requiredOrg,
  runOnDatabase,
  stringFlag,
} from './command-runner.ts';
import { readClientSecret, saveConnection } from './connection-command.ts';
import { addWebhook, listWebhooks, removeWebhook } from './webhook-command.ts';

interface AdminCommand {
  options: FlagOptions;
  /** Input the command needs before the database is opened (a secret on standard input). */
  readInput?: (flags: Flags, stdin: NodeJS.ReadableStream) => Promise<void>;
  run: (flags: Flags, context: CommandContext) => Promise<CommandOutput>;
}

const COMMANDS: Record<string, AdminCommand> = {
  'org create': { options: { name: { type: 'string' } }, run: createOrg },
  'org link': {
    options: { org: { type: 'string' }, source: { type: 'string' } },
    run: (flags, context) => changeOrgLink(flags, context, 'link'),
  },
  'org unlink': {
    options: { org: { type: 'string' }, source: { type: 'string' } },
    run: (flags, context) => changeOrgLink(flags, context, 'unlink'),
  },
  'source add': {
    options: {
      iss: { type: 'string' },
      vendor: { type: 'string' },
      environment: { type: 'string' },
      name: { type: 'string' },
    },
    run: addSource,
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
      'signing-alg': { type: 'string' },
      jku: { type: 'string' },
      scopes: { type: 'string' },
      'cds-endpoint': { type: 'string' },
      'cds-caching': { type: 'string' },
      environment: { type: 'string' },
    },
    readInput: readClientSecret,
    run: saveConnection,
  },
  'apikey create': {
    options: { org: { type: 'string' }, environment: { type: 'string' } },
    run: createOrgApiKey,
  },
  'cds-issuer add': {
    options: {
      org: { type: 'string' },
      issuer: { type: 'string' },
      'jwks-url': { type: 'string' },
      jku: { type: 'string', multiple: true },
    },
    run: trustCdsIssuer,
  },
  'webhook add': {
    options: { org: { type: 'string' }, url: { type: 'string' }, events: { type: 'string' } },
    run: addWebhook,
  },
  'webhook list': { options: { org: { type: 'string' } }, run: listWebhooks },
  'webhook remove': { options: { org: { type: 'string' }, id: { type: 'string' } }, run: removeWebhook },
};

export function isAdminCommand(command: string, sub: string): boolean {
  return Object.hasOwn(COMMANDS, `${command} ${sub}`);
}

export async function adminCommand(command: string, sub: string, args: string[], io: CliIo): Promise<number> {
  const entry = COMMANDS[`${command} ${sub}`] as AdminCommand;
  const flags = parseFlags(args, entry.options) as Flags;
  await entry.readInput?.(flags, io.stdin);
  return runOnDatabase(io, flags.json as boolean | undefined, (context) => entry.run(flags, context));
}

async function createOrg(flags: Flags, { db, config }: CommandContext): Promise<CommandOutput> {
  const org = await createOrganization(db, { name: stringFlag(flags, 'name') });
  await recordAudit(db, { action: 'org.created', actor: 'cli', orgId: org.id });
  return {
    json: { id: org.id, name: org.name },
    text: `Created organization ${org.id} (${org.name})\nSMART Launch URI: ${launchUrl(config, org.id)}`,
  };
}

async function changeOrgLink(
  flags: Flags,
  { db }: CommandContext,
  change: 'link' | 'unlink',
): Promise<CommandOutput> {
  const orgId = stringFlag(flags, 'org');
  const sourceId = stringFlag(flags, 'source');
  if (!orgId || !sourceId) throw new CliUsageError('--org and --source are required');
  const link = { orgId, sourceId, actor: 'cli' };
  const result = change === 'link' ? await linkOrgToSource(db, link) : await unlinkOrgFromSource(db, link);
  return {
    json: { ...result },
    text: result.linked
      ? `Linked ${orgId} to FHIR source ${sourceId}: its launches from that tenant are accepted.`
      : `Unlinked ${orgId} from FHIR source ${sourceId}: its launches from that tenant are refused.`,
  };
}

async function addSource(flags: Flags, { db }: CommandContext): Promise<CommandOutput> {
  const source = await addFhirSource(db, {
    iss: stringFlag(flags, 'iss'),
    vendor: stringFlag(flags, 'vendor'),
    environment: stringFlag(flags, 'environment'),
    name: stringFlag(flags, 'name'),
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

async function createOrgApiKey(flags: Flags, { db }: CommandContext): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const key = await createApiKey(db, orgId, 'cli', stringFlag(flags, 'environment') ?? 'sandbox');
  return {
    json: { id: key.id, org: orgId, environment: key.environment, prefix: key.prefix, key: key.key },
    text: `Created ${key.environment} API key ${key.id} for ${orgId}: it reads ${key.environment} launches only. Copy it now; it is not shown again:\n${key.key}`,
  };
}

async function trustCdsIssuer(flags: Flags, { db, config }: CommandContext): Promise<CommandOutput> {
  const orgId = requiredOrg(flags);
  const issuer = stringFlag(flags, 'issuer');
  const jwksUrl = stringFlag(flags, 'jwks-url');
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
