import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fhirUserReference } from './finish-launch.ts';
import { appLaunchRedirect, callbackUrl, launchUrl } from './urls.ts';

describe('URLs we hand out', () => {
  const config = { publicUrl: 'https://app.example.org' };

  it('are the guide’s paths', () => {
    assert.equal(callbackUrl(config), 'https://app.example.org/api/auth/smart/launch-callback');
    assert.equal(launchUrl(config, 'org_1'), 'https://app.example.org/api/auth/smart/launch/org_1');
  });

  it('append mb_launch and keep the app launch URL’s own query', () => {
    const id = '9c9b6f7a-8e4f-4a3b-9c1e-6f3a2d8b7c4d';
    assert.equal(
      appLaunchRedirect('https://app.example/launch?tenant=a', id),
      `https://app.example/launch?tenant=a&mb_launch=${id}`,
    );
    assert.equal(
      appLaunchRedirect('https://app.example/launch?mb_launch=old', id),
      `https://app.example/launch?mb_launch=${id}`,
    );
  });

  it('turn an absolute fhirUser into a relative reference', () => {
    assert.equal(
      fhirUserReference('https://fhir.example/r4/t/Practitioner/12742069'),
      'Practitioner/12742069',
    );
    assert.equal(fhirUserReference('Practitioner/1'), 'Practitioner/1');
    assert.equal(
      fhirUserReference('https://fhir.example/r4/t/Something/1'),
      'https://fhir.example/r4/t/Something/1',
    );
  });
});
