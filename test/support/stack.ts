/**
 * A whole test stack: the local Cerner sandbox and a gateway on real ports, seeded the way an
 * operator would (org, sandbox FHIR source, Cerner connection with custom credentials, API key).
 * Tests import both systems here; the systems themselves never import each other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/api/api-keys.ts';
import type { BuildOptions } from '../../src/app.ts';
import type { ClientAuthMethod, Config } from '../../src/config/index.ts';
import type { Sealer } from '../../src/crypto/sealing.ts';
import type { Db } from '../../src/db/index.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../../src/launch/urls.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';
import { DEFAULT_FLAG_SCOPES } from '../../src/sandbox/main.ts';
import { setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TestDatabase, TestEngine } from './databases.ts';
import { startTestGateway } from './test-gateway.ts';

export interface StackOptions {
  engine?: TestEngine;
  authMethod?: ClientAuthMethod;
  /** Outbound timeout of the gateway (the "hang" fault waits longer than this). */
  timeoutMs?: number;
  /** The app launch URL, or a function of the gateway's URL (for the built-in /launch-debug). */
  appLaunchUrl?: string | ((gatewayUrl: string) => string);
  /** Extra gateway environment (e.g. `CHARTSIDE_CDS_TIMEOUT_MS`). */
  env?: Record<string, string>;
  /** CDS service ids registered for the sandbox app (fired at the org's CDS Hooks URL on chart open). */
  cdsServiceIds?: string[];
  /** Extra buildApp options (e.g. `keyClock` for key-rotation tests). */
  build?: Omit<BuildOptions, 'logStream'>;
}

export interface Stack {
  readonly gateway: FastifyInstance;
  readonly gatewayUrl: string;
  readonly sandbox: RunningSandbox;
  readonly database: TestDatabase;
  readonly orgId: string;
  readonly apiKey: string;
  readonly clientId: string;
  /** The sandbox app's Code Console Application ID. */
  readonly applicationId: string;
  readonly appLaunchUrl: string;
  /** Every log line the gateway wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const { gateway, gatewayUrl, config, database, logs, close } = await startTestGateway({
    ...options,
    ...(options.build ? { build: options.build } : {}),
  });
  const tenant = await seedSandboxTenant(gateway.services, config, options);
  const { sandbox } = tenant;
  return {
    ...tenant,
    gateway,
    gatewayUrl,
    database,
    logs,
    async close() {
      await close();
      await sandbox.close();
    },
  };
}

export interface SeededTenant {
  readonly sandbox: RunningSandbox;
  readonly orgId: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly applicationId: string;
  readonly appLaunchUrl: string;
}

/**
 * Seed a gateway's database the way an operator would (org, the sandbox as a FHIR source, a
 * Cerner connection with custom credentials, an API key) and start the local Cerner sandbox with
 * the matching app registration (Launch URI, Redirect URI and JWKS URL from `config.publicUrl`).
 * For stacks whose gateways run elsewhere (child processes), pass their shared database handle.
 */
export async function seedSandboxTenant(
  { db, sealer }: { db: Db; sealer: Sealer },
  config: Config,
  options: Pick<StackOptions, 'authMethod' | 'appLaunchUrl' | 'cdsServiceIds'> & {
    /** The sandbox's advertised origin (a front placed before it); default its own. */
    sandboxOrigin?: string;
    sandboxPort?: number;
  } = {},
): Promise<SeededTenant> {
  const gatewayUrl = config.publicUrl;
  const org = await createOrganization(db, { name: 'Test Clinic' });
  const clientId = randomUUID();
  const applicationId = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const appLaunchUrl =
    typeof options.appLaunchUrl === 'function'
      ? options.appLaunchUrl(gatewayUrl)
      : (options.appLaunchUrl ?? 'https://app.example.org/launch?tenant=demo');

  const sandbox = await startSandbox({
    port: options.sandboxPort ?? 0,
    ...(options.sandboxOrigin ? { publicOrigin: options.sandboxOrigin } : {}),
    testControls: true,
    apps: [
      {
        name: 'Chartside test',
        applicationId,
        clientId,
        secret: clientSecret,
        jwksUrl: jwksUrl(config),
        redirectUris: [callbackUrl(config)],
        launchUri: launchUrl(config, org.id),
        accessType: 'offline',
        scopes: DEFAULT_FLAG_SCOPES,
        ...(options.cdsServiceIds
          ? {
              cdsServiceUrls: options.cdsServiceIds.map(
                (id) => `${gatewayUrl}/api/cds/${org.id}/cds-services/${encodeURIComponent(id)}`,
              ),
            }
          : {}),
      },
    ],
  });
  const source = await addFhirSource(db, {
    iss: sandbox.fhirBaseUrl,
    vendor: 'cerner',
    environment: 'sandbox',
    name: 'Local Cerner sandbox',
  });
  await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'test' });
  await setConnection(db, sealer, config, org.id, 'cerner', {
    appLaunchUrl,
    useCustomCredentials: true,
    clientId,
    clientSecret,
    authMethod: options.authMethod ?? 'client_secret_basic',
  });
  const { key } = await createApiKey(db, org.id, 'test');

  return { sandbox, orgId: org.id, apiKey: key, clientId, applicationId, appLaunchUrl };
}
