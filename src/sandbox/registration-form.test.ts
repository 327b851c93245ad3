import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GUIDE_REGISTRATION } from './console-test-support.ts';
import {
  checkBasicInformation,
  checkUris,
  emptyDraft,
  firstIncompleteStep,
  MAX_REDIRECT_URIS,
  readApiAccess,
  readBasicInformation,
  readProductSelection,
  registrationOfDraft,
} from './registration-form.ts';

function guideDraft(basic: Record<string, string> = {}) {
  let draft = readBasicInformation(emptyDraft(), { ...GUIDE_REGISTRATION.basic, ...basic });
  draft = readProductSelection(draft, GUIDE_REGISTRATION.products);
  return readApiAccess(draft, {
    ...GUIDE_REGISTRATION.apiAccess,
    'user:Patient:write': 'on',
    'user:Nope:read': 'on',
  });
}

describe('the New Application wizard’s values', () => {
  it('turns the guide’s answers into a registration: v1 ticks as .read/.write, unknown rows ignored', () => {
    const app = registrationOfDraft(guideDraft());
    assert.deepEqual(app.scopes, [
      'user/Patient.read',
      'user/Encounter.read',
      'user/Observation.read',
      'user/Patient.write',
    ]);
    assert.deepEqual(app.redirectUris, [
      'https://app.medblocks.com/api/auth/smart/launch-callback',
      'https://dev.app.medblocks.com/api/auth/smart/launch-callback',
      'http://localhost:3000/api/auth/smart/launch-callback',
    ]);
    assert.equal(app.accessType, 'offline');
    assert.equal(app.privacy, 'confidential');
    assert.equal(app.persona, 'provider');
    assert.deepEqual(app.details?.intendedUsers, ['Clinical Team']);
    assert.equal(firstIncompleteStep(guideDraft()), undefined);
  });

  it('SMART v2 registers .rs and .cud', () => {
    assert.deepEqual(registrationOfDraft(guideDraft({ smart_version: 'v2' })).scopes, [
      'user/Patient.rs',
      'user/Encounter.rs',
      'user/Observation.rs',
      'user/Patient.cud',
    ]);
  });

  it('changing the Application Type drops ticks of tables the new type does not show', () => {
    const draft = readBasicInformation(guideDraft(), {
      ...GUIDE_REGISTRATION.basic,
      application_type: 'patient',
    });
    assert.deepEqual(draft.ticks, []);
    assert.equal(firstIncompleteStep(draft), 'api-access');
  });

  it('refuses a Public System app, a fragment in a URI, a repeated Redirect URI and DSTU2', () => {
    const errors = checkBasicInformation(
      readBasicInformation(emptyDraft(), {
        ...GUIDE_REGISTRATION.basic,
        application_type: 'system',
        application_privacy: 'public',
        redirect_uri_1: 'https://app.medblocks.com/api/auth/smart/launch-callback',
        redirect_uri_2: 'https://x.example/cb#frag',
        default_fhir_version: 'DSTU2',
      }),
    );
    assert.match(errors.application_privacy ?? '', /must be Confidential/);
    assert.equal(errors.redirect_uri_1, 'This Redirect URI is already listed.');
    assert.match(errors.redirect_uri_2 ?? '', /without a fragment/);
    assert.match(errors.default_fhir_version ?? '', /Choose R4/);
  });

  it('a System app needs neither URI; a Provider app needs both', () => {
    assert.deepEqual(checkUris('system', [''], ''), {});
    assert.deepEqual(Object.keys(checkUris('provider', [''], '')).sort(), [
      'redirect_uri',
      'smart_launch_uri',
    ]);
  });

  it(`reads at most ${MAX_REDIRECT_URIS} Redirect URIs`, () => {
    const fields: Record<string, string> = { redirect_uri: 'https://a.example/cb' };
    for (let i = 1; i < 100; i++) fields[`redirect_uri_${i}`] = `https://a.example/cb${i}`;
    assert.equal(readBasicInformation(emptyDraft(), fields).redirectUris.length, MAX_REDIRECT_URIS);
  });
});
