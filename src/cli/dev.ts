/**
 * `chartside dev` (= `npm start`): the gateway on SQLite and the local Cerner sandbox on two
 * local ports, seeded idempotently (dev-seed.ts) so a person can walk the whole guide offline:
 * register an app in the sandbox's Code Console, configure Chartside, and launch from Test
 * Sandbox. The CLI is the composition root: it starts both systems, which still talk to each
 * other only over HTTP.
 */
import { join } from 'node:path';
import { cdsHooksUrl } from '../cds/inbound-jwt.ts';
import { ConfigError, loadConfig } from '../config/index.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../launch/urls.ts';
import { CODE_ACCOUNT, CONSOLE_APPS_PATH, startSandbox } from '../sandbox/index.ts';
import { closeOnSignals, startGateway } from '../server.ts';
import { demoProfileApps, demoProfileLines } from './dev-profiles.ts';
import { readSeed, seedGateway, writeSeed } from './dev-seed.ts';
import { type ExampleApp, startExampleApp } from './example-app.ts';
import { EXAMPLE_CDS_SERVICE_ID, startExampleCdsService } from './example-cds-service.ts';

const SANDBOX_TENANT = 'ec2458f2-1e24-41c8-b71b-0e701af7583d';
/**
 * The demo app's API Access ticks: the guide's (User Product APIs, Read on Patient, Encounter
 * and Observation), so the Code Console shows what Chartside's Scopes row requests.
 */
const DEMO_APP_SCOPES = ['user/Patient.read', 'user/Encounter.read', 'user/Observation.read'];

export async function runDev(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env, { mode: 'development' });
  const sandboxPort = parsePort(env, 'SANDBOX_PORT', 4000);
  const sandboxOrigin = (env.SANDBOX_PUBLIC_URL ?? `http://localhost:${sandboxPort}`).replace(/\/+$/, '');
  const seedFile = join(config.dataDir, 'dev-seed.json');
  const seed = readSeed(seedFile);

  // The app's side of CDS Hooks: a tiny example CDS service, so the sandbox chart shows a card.
  const exampleCds = await startExampleCdsService({
    port: parsePort(env, 'CDS_EXAMPLE_PORT', 4100),
    host: config.host,
    gatewayUrl: config.publicUrl,
  });
  const seeded = await seedGateway(config, seed, `${sandboxOrigin}/r4/${SANDBOX_TENANT}`, {
    appLaunchUrl: `${config.publicUrl}/launch-debug`,
    cdsEndpoint: exampleCds.url,
    cdsJwksUrl: `${sandboxOrigin}/jwk`,
  });
  writeSeed(seedFile, seeded);
  const cdsServiceUrl = cdsHooksUrl(config, seeded.orgId, EXAMPLE_CDS_SERVICE_ID);

  // The sandbox keeps what is registered in its Code Console in data/ too; the demo app is
  // written again at every start, so its URIs follow PORT.
  const sandbox = await startSandbox({
    port: sandboxPort,
    host: config.host,
    publicOrigin: sandboxOrigin,
    tenant: SANDBOX_TENANT,
    dataDir: config.dataDir,
    // The same gateway at the Epic and SMART profiles (dev-profiles.ts).
    ...demoProfileApps(config, seeded.orgId),
    apps: [
      {
        name: 'Chartside demo',
        applicationId: seeded.applicationId,
        clientId: seeded.clientId,
        secret: seeded.clientSecret,
        jwksUrl: jwksUrl(config),
        redirectUris: [callbackUrl(config)],
        launchUri: launchUrl(config, seeded.orgId),
        accessType: 'offline',
        privacy: 'confidential',
        scopes: DEMO_APP_SCOPES,
        cdsServiceUrls: [cdsServiceUrl],
        details: {
          owner: 'Chartside',
          intendedUsers: ['Clinical Team'],
          intendedPurposes: ['Clinical Tools'],
          defaultFhirVersion: 'R4',
          productFamily: 'Millennium',
          products: ['Oracle Health FHIR APIs for Millennium: FHIR R4, All'],
        },
      },
    ],
  });
  const gateway = await startGateway(config);
  // The app's side of a launch: the example notes app, a real app on @chartside/client.
  const exampleApp = await startExampleApp({
    port: parsePort(env, 'EXAMPLE_APP_PORT', 4300),
    host: config.host,
    gatewayUrl: config.publicUrl,
    apiKey: seeded.apiKey,
  });
  closeOnSignals(async () => {
    await gateway.close();
    await sandbox.close();
    await exampleCds.close();
    if ('close' in exampleApp) await exampleApp.close();
  });

  const myApplications = `${sandbox.origin}${CONSOLE_APPS_PATH}`;
  console.log(`
Chartside is running (development mode, ${config.databaseUrl}). Open this:

  ${config.publicUrl}/

It links to everything below. The guide, offline: sign in to the sandbox's Code Console, register
an app (+ New Application), configure Chartside (Settings → Connections → Cerner), then Test
Sandbox → pick a patient → sign in as portal / portal → Approve Connection (docs/guide.md).

  Admin console      ${config.publicUrl}/admin/sign-in
    email            ${seeded.operatorEmail}
    password         ${seeded.operatorPassword}
  Code Console       ${myApplications}   (My Applications; sign in as ${CODE_ACCOUNT.username} / ${CODE_ACCOUNT.password})
  Demo app           ${myApplications}/${seeded.applicationId}   (registered already: click Test Sandbox)
  Cerner sandbox     ${sandbox.origin}   (FHIR base / iss: ${sandbox.fhirBaseUrl})
${demoProfileLines(sandbox)}
  Organization       ${seeded.orgId}
  SMART Launch URI   ${launchUrl(config, seeded.orgId)}
  API key            ${seeded.apiKey}
  CDS Hooks URL      ${cdsHooksUrl(config, seeded.orgId)}
  Example CDS app    ${exampleCds.url}   (patient-view service "${EXAMPLE_CDS_SERVICE_ID}")
${exampleAppLines(exampleApp, seeded.orgId, `${config.publicUrl}/launch-debug`)}

Resolve the handle your app receives:
  curl -H "Authorization: Bearer ${seeded.apiKey}" ${config.publicUrl}/launch-contexts/<mb_launch>
`);
  return -1;
}

/** Where the example app runs, and how to make launches land there instead of /launch-debug. */
function exampleAppLines(app: ExampleApp | { notStarted: string }, orgId: string, debugUrl: string): string {
  if ('notStarted' in app) return `  Example app        not started: ${app.notStarted}`;
  return `  Example app        ${app.launchUrl}   (examples/notes-app, an app on @chartside/client)
    switch to it     npx chartside connection set --org ${orgId} --vendor cerner --app-launch-url ${app.launchUrl}
                     (or Settings → Connections → Cerner → App launch URL; back: ${debugUrl})`;
}

function parsePort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`${name} must be a port number`);
  return port;
}
