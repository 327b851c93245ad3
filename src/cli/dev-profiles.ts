/**
 * `chartside dev`'s apps at the sandbox's Epic and SMART profiles (docs/sandbox-profiles.md): the
 * same gateway registered at Epic's non-production and production systems (two client ids) and
 * at the SMART App Launch 2 EHR, each authenticating with the gateway's JWKS (private_key_jwt).
 * Only the sandbox side: the gateway's connections for them are set up in Settings → Connections.
 */
import type { Config } from '../config/index.ts';
import { callbackUrl, jwksUrl, launchUrl } from '../launch/urls.ts';
import type { EpicAppRegistration, RunningSandbox, SmartAppRegistration } from '../sandbox/index.ts';

export const DEMO_EPIC_CLIENT_IDS = {
  nonProduction: 'chartside-demo-epic-nonprod',
  production: 'chartside-demo-epic-prod',
} as const;
export const DEMO_SMART_CLIENT_ID = 'chartside-demo-smart';

/** What the demo app reads at Epic: its "Incoming APIs", as SMART v1 scopes. */
const EPIC_SCOPES = [
  'user/Patient.read',
  'user/Encounter.read',
  'user/Observation.read',
  'user/Practitioner.read',
];
/** At the SMART EHR: read and search on every type, for the user and the launch patient. */
const SMART_SCOPES = ['user/*.rs', 'patient/*.rs'];

export function demoProfileApps(
  config: Pick<Config, 'publicUrl'>,
  orgId: string,
): { epicApps: EpicAppRegistration[]; smartApps: SmartAppRegistration[] } {
  const keys = jwksUrl(config);
  const common = { redirectUris: [callbackUrl(config)], launchUri: launchUrl(config, orgId) };
  return {
    epicApps: [
      {
        name: 'Chartside demo',
        nonProduction: { clientId: DEMO_EPIC_CLIENT_IDS.nonProduction, jwksUrl: keys },
        production: { clientId: DEMO_EPIC_CLIENT_IDS.production, jwksUrl: keys },
        scopes: EPIC_SCOPES,
        ...common,
      },
    ],
    smartApps: [
      {
        name: 'Chartside demo',
        clientId: DEMO_SMART_CLIENT_ID,
        jwksUrl: keys,
        scopes: SMART_SCOPES,
        ...common,
      },
    ],
  };
}

/** The lines `chartside dev` prints about them. */
export function demoProfileLines(sandbox: RunningSandbox): string {
  const { epic, smart } = sandbox;
  return `  Epic sandbox       ${epic.nonProduction.fhirBaseUrl}   (non-production client id ${DEMO_EPIC_CLIENT_IDS.nonProduction})
                     ${epic.production.fhirBaseUrl}   (production client id ${DEMO_EPIC_CLIENT_IDS.production})
                     launch: ${epic.nonProduction.launcherUrl}
  SMART 2 sandbox    ${smart.fhirBaseUrl}   (client id ${DEMO_SMART_CLIENT_ID}; launch: ${smart.launcherUrl})
                     both authenticate with private_key_jwt against the gateway's JWKS; docs/sandbox-profiles.md`;
}
