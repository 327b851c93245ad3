/**
 * A gateway on a real port in front of the test's SMART EHR stub (smart-ehr.ts), seeded the way
 * an operator would: an organization, the stub's FHIR base as a sandbox source of `vendor`,
 * linked, a connection with custom credentials, an API key. Each hop of a launch, EHR or
 * standalone, is driven like a browser, one redirect at a time.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/api/api-keys.ts';
import { callbackUrl, jwksUrl } from '../../src/launch/urls.ts';
import { type ConnectionChanges, setConnection } from '../../src/settings/connections.ts';
import { addFhirSource, type Vendor } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TestDatabase, TestEngine } from './databases.ts';
import { type SmartEhr, type SmartEhrOptions, startSmartEhr } from './smart-ehr.ts';
import { startTestGateway } from './test-gateway.ts';

export const APP_LAUNCH_URL = 'https://app.example.org/launch';

export interface SmartStack {
  readonly gateway: FastifyInstance;
  readonly gatewayUrl: string;
  readonly ehr: SmartEhr;
  readonly database: TestDatabase;
  readonly orgId: string;
  readonly sourceId: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly logs: string[];
  /** Change the org's connection for the stub's vendor. */
  connect(changes: ConnectionChanges): Promise<void>;
  /** Forget the source's kept SMART configuration, so the next launch reads the stub's again. */
  rediscover(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmartStack(
  engine: TestEngine,
  vendor: Vendor,
  ehrOptions: Partial<SmartEhrOptions> = {},
): Promise<SmartStack> {
  const started = await startTestGateway({ engine });
  const { gateway, gatewayUrl, config, database, logs } = started;

  const clientId = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const ehr = await startSmartEhr({
    clientId,
    clientSecret,
    redirectUri: callbackUrl(config),
    jwksUrl: jwksUrl(config),
    ...ehrOptions,
  });
  const { db, sealer } = gateway.services;
  const org = await createOrganization(db, { name: 'SMART Clinic' });
  const source = await addFhirSource(db, {
    iss: ehr.fhirBase,
    vendor,
    environment: 'sandbox',
    name: 'SMART stub',
  });
  await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'test' });
  const connect = async (changes: ConnectionChanges) => {
    await setConnection(db, sealer, config, org.id, vendor, changes);
  };
  await connect({ appLaunchUrl: APP_LAUNCH_URL, useCustomCredentials: true, clientId, clientSecret });
  const { key } = await createApiKey(db, org.id, 'test');
  return {
    gateway,
    gatewayUrl,
    ehr,
    database,
    orgId: org.id,
    sourceId: source.id,
    apiKey: key,
    clientId,
    logs,
    connect,
    async rediscover() {
      await db
        .updateTable('fhir_source')
        .set({ discovery: null, discovered_at: null })
        .where('id', '=', source.id)
        .execute();
    },
    async close() {
      await started.close();
      await ehr.close();
    },
  };
}

/** The gateway's first hop of an EHR launch (the EHR opens the Launch URI) or a standalone one. */
export function firstHop(stack: SmartStack, mode: 'ehr' | 'standalone', launch?: string): Promise<Response> {
  const iss = encodeURIComponent(stack.ehr.fhirBase);
  const url =
    mode === 'ehr'
      ? `${stack.gatewayUrl}/api/auth/smart/launch/${stack.orgId}?iss=${iss}&launch=${encodeURIComponent(launch ?? stack.ehr.newLaunch())}`
      : `${stack.gatewayUrl}/api/auth/smart/standalone/${stack.orgId}?iss=${iss}`;
  return fetch(url, { redirect: 'manual' });
}

export interface DrivenSmartLaunch {
  authorizeUrl: URL;
  callbackUrl: URL;
  callbackResponse: Response;
}

/** Every hop: gateway → EHR authorize (approves at once) → gateway callback. */
export async function driveSmartLaunch(
  stack: SmartStack,
  mode: 'ehr' | 'standalone',
  launch?: string,
): Promise<DrivenSmartLaunch> {
  const first = await firstHop(stack, mode, launch);
  assert.equal(first.status, 302, `the first hop answered ${first.status}: ${await first.text()}`);
  const authorizeUrl = new URL(first.headers.get('location') as string);
  const authorized = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(authorized.status, 302, `authorize answered ${authorized.status}: ${await authorized.text()}`);
  const callbackUrl = new URL(authorized.headers.get('location') as string);
  const callbackResponse = await fetch(callbackUrl, { redirect: 'manual' });
  return { authorizeUrl, callbackUrl, callbackResponse };
}
