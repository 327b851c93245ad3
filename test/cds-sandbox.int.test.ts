/**
 * End to end, as `npm start` shows it: opening a patient's chart in the sandbox's Test Sandbox
 * fires `patient-view` (signed with the sandbox's key, Cerner's CDS issuer) at the org's CDS
 * Hooks URL; Chartside checks it and relays it to the example CDS service, which reads the
 * patient through Chartside's FHIR relay; the chart shows the card.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addTrustedCdsIssuer, CERNER_CDS_ISSUER } from '../src/cds/issuers.ts';
import {
  EXAMPLE_CDS_SERVICE_ID,
  type ExampleCdsService,
  startExampleCdsService,
} from '../src/cli/example-cds-service.ts';
import { validateSandboxOptions } from '../src/sandbox/index.ts';
import { setConnection } from '../src/settings/connections.ts';
import { waitForAudit } from './support/fhir-proxy.ts';
import { type Stack, startStack } from './support/stack.ts';

describe('sandbox chart → CDS Hooks relay → example CDS service', () => {
  let stack: Stack;
  let example: ExampleCdsService;
  const chart = (patient: string) =>
    fetch(
      `${stack.sandbox.origin}/developer/smart-on-fhir/apps/${stack.applicationId}/test-sandbox/ready?patient=${patient}&banner=yes`,
    );

  before(async () => {
    stack = await startStack({ cdsServiceIds: [EXAMPLE_CDS_SERVICE_ID] });
    example = await startExampleCdsService({ port: 0, host: '127.0.0.1', gatewayUrl: stack.gatewayUrl });
    const { db, sealer, config } = stack.gateway.services;
    await setConnection(db, sealer, config, stack.orgId, 'cerner', { cdsEndpoint: example.url });
  });
  after(async () => {
    await stack.close();
    await example.close();
  });

  it('without the sandbox as a trusted CDS client, the chart shows the refusal and nothing reaches the app', async () => {
    const response = await chart('12742400');
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /CDS Hooks: patient-view/);
    assert.match(page, /answered 401/);
    assert.doesNotMatch(page, /Hello from the example CDS service/);
  });

  it('with it, the chart shows the example card, built from FHIR data read through Chartside', async () => {
    const { db, config } = stack.gateway.services;
    await addTrustedCdsIssuer(db, config, stack.orgId, {
      issuer: CERNER_CDS_ISSUER,
      jwksUrl: `${stack.sandbox.origin}/jwk`,
    });
    const response = await chart('12742400');
    const page = await response.text();
    assert.match(page, /<div class="cds-card cds-info" data-indicator="info">/);
    assert.match(page, /Hello from the example CDS service: PETERS, Tim/);
    assert.match(page, /12 observation\(s\) read through Chartside/);
    const reads = (await waitForAudit(db, { action: 'fhir.request' }, 2)).filter((e) =>
      e.actor.startsWith('cds_token:'),
    );
    assert.deepEqual(
      reads.map((e) => [e.details.resource_type, e.details.status]),
      [
        ['Patient', 200],
        ['Observation', 200],
      ],
    );
  });

  it('checks the sandbox’s CDS settings', () => {
    const app = {
      name: 'x',
      applicationId: 'a',
      clientId: 'c',
      redirectUris: ['https://app.example/cb'],
      launchUri: 'https://app.example/launch',
      accessType: 'online',
      scopes: [],
    };
    assert.throws(
      () => validateSandboxOptions({ apps: [{ ...app, cdsServiceUrls: ['ftp://x'] }] }),
      /cdsServiceUrls/,
    );
    const options = validateSandboxOptions({
      apps: [{ ...app, cdsServiceUrls: ['https://gw.example/api/cds/o/cds-services/s'] }],
      cdsIssuer: 'https://cds-hooks.example',
    });
    assert.equal(options.cdsIssuer, 'https://cds-hooks.example');
    assert.deepEqual(options.apps[0]?.cdsServiceUrls, ['https://gw.example/api/cds/o/cds-services/s']);
  });
});
