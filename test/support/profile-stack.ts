/**
 * A gateway in front of the local sandbox's Epic and SMART profiles (docs/sandbox-profiles.md),
 * seeded the way an operator would: an organization, the profile's FHIR base as a sandbox source
 * of its vendor, linked, a connection with custom credentials, an API key. The sandbox has the
 * gateway registered at Epic (both client ids) and at the SMART EHR, each with a secret and the
 * gateway's JWKS URL, so a test picks the client authentication with `connect`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/api/api-keys.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../../src/launch/urls.ts';
import { type RunningSandbox, startSandbox } from '../../src/sandbox/index.ts';
import { type ConnectionChanges, setConnection } from '../../src/settings/connections.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { linkOrgToSource } from '../../src/settings/org-links.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TestDatabase, TestEngine } from './databases.ts';
import { startTestGateway } from './test-gateway.ts';

export const PROFILE_APP_LAUNCH_URL = 'https://app.example.org/launch';

/** The gateway's registrations in the sandbox: client ids and secrets per profile. */
export const PROFILE_CLIENTS = {
  epicNonProduction: { clientId: 'gateway-epic-nonprod', secret: randomBytes(18).toString('base64url') },
  epicProduction: { clientId: 'gateway-epic-prod', secret: randomBytes(18).toString('base64url') },
  smart: { clientId: 'gateway-smart', secret: randomBytes(18).toString('base64url') },
} as const;

export interface ProfileStack {
  readonly gateway: FastifyInstance;
  readonly gatewayUrl: string;
  readonly sandbox: RunningSandbox;
  readonly database: TestDatabase;
  readonly orgId: string;
  readonly apiKey: string;
  /** Changes the org's connection of that vendor (auth method, signing alg, jku, scopes, …). */
  connect(vendor: 'epic' | 'smart', changes: ConnectionChanges): Promise<void>;
  close(): Promise<void>;
}

export async function startProfileStack(engine: TestEngine = 'sqlite'): Promise<ProfileStack> {
  // Generous timeout: these tests time nothing, and run beside the whole suite.
  const started = await startTestGateway({ engine, timeoutMs: 5000, logLevel: 'warn' });
  const { gateway, gatewayUrl, config, database } = started;
  const { db, sealer } = gateway.services;
  const org = await createOrganization(db, { name: 'Profile Clinic' });
  const keys = jwksUrl(config);
  const common = { redirectUris: [callbackUrl(config)], launchUri: launchUrl(config, org.id) };
  const { epicNonProduction, epicProduction, smart } = PROFILE_CLIENTS;
  const sandbox = await startSandbox({
    port: 0,
    testControls: true,
    apps: [],
    epicApps: [
      {
        name: 'Chartside',
        nonProduction: { ...epicNonProduction, jwksUrl: keys },
        production: { ...epicProduction, jwksUrl: keys },
        scopes: [
          'user/Encounter.read',
          'user/Observation.read',
          'user/Patient.read',
          'user/Practitioner.read',
        ],
        ...common,
      },
    ],
    smartApps: [
      { name: 'Chartside', ...smart, jwksUrl: keys, scopes: ['user/*.rs', 'patient/*.rs'], ...common },
    ],
  });
  // Epic's production system is on http://localhost too, which the gateway takes only for sandbox
  // sources: the non-production one is linked here.
  for (const [iss, vendor] of [
    [sandbox.epic.nonProduction.fhirBaseUrl, 'epic'],
    [sandbox.smart.fhirBaseUrl, 'smart'],
  ] as const) {
    const source = await addFhirSource(db, {
      iss,
      vendor,
      environment: 'sandbox',
      name: `Sandbox ${vendor}`,
    });
    await linkOrgToSource(db, { orgId: org.id, sourceId: source.id, actor: 'test' });
  }
  const connect = async (vendor: 'epic' | 'smart', changes: ConnectionChanges) => {
    await setConnection(db, sealer, config, org.id, vendor, changes);
  };
  await connect('epic', {
    appLaunchUrl: PROFILE_APP_LAUNCH_URL,
    useCustomCredentials: true,
    clientId: epicNonProduction.clientId,
    clientSecret: epicNonProduction.secret,
    authMethod: 'client_secret_basic',
    environment: 'sandbox',
  });
  await connect('smart', {
    appLaunchUrl: PROFILE_APP_LAUNCH_URL,
    useCustomCredentials: true,
    clientId: smart.clientId,
    clientSecret: smart.secret,
    authMethod: 'client_secret_basic',
  });
  const { key } = await createApiKey(db, org.id, 'test');
  return {
    gateway,
    gatewayUrl,
    sandbox,
    database,
    orgId: org.id,
    apiKey: key,
    connect,
    async close() {
      await started.close();
      await sandbox.close();
    },
  };
}

/**
 * A launch through every hop, as a browser would: the first hop (the EHR opening the Launch URI,
 * or the app's standalone link), the sandbox's authorize (with `cookie` for a standalone launch),
 * the gateway's callback. Returns the `mb_launch` handed to the app and each hop's URL.
 */
export async function driveProfileLaunch(
  first: string,
  cookie?: string,
): Promise<{ authorizeUrl: URL; mbLaunch: string }> {
  const hop = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { redirect: 'manual', headers });
    const location = response.headers.get('location');
    if (response.status !== 302 && response.status !== 303)
      throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return new URL(location as string);
  };
  const authorizeUrl = await hop(first);
  const callback = await hop(authorizeUrl.href, cookie ? { cookie } : {});
  const app = await hop(callback.href);
  const mbLaunch = app.searchParams.get('mb_launch');
  if (!mbLaunch) throw new Error(`no mb_launch in ${app.href}`);
  return { authorizeUrl, mbLaunch };
}

/** `GET /launch-contexts/:id` with the stack's API key. */
export async function launchContext(stack: ProfileStack, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.gatewayUrl}/launch-contexts/${id}`, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  if (response.status !== 200) throw new Error(`launch context answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}
