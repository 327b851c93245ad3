import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extraContextOf, MAX_CONTEXT_JSON } from './launch-context.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaGlqIn0.c2lnbmF0dXJlc2lnbmF0dXJlc2ln';

describe('the launch context beyond the tokens (SMART 2.2 §Launch context)', () => {
  it('keeps fhirContext as sent, and every other non-token field', () => {
    const fhirContext = [
      { reference: 'Observation/1' },
      { canonical: 'http://q.example/Questionnaire/x|1', role: 'r' },
    ];
    const { fhirContext: kept, extraContext } = extraContextOf({
      access_token: 'at',
      token_type: 'Bearer',
      scope: 'openid',
      patient: 'p',
      need_patient_banner: false,
      intent: 'x',
      fhirContext,
      user: '12742069',
      username: 'portal',
      '__epic.dstu2.patient': 'Tbt3KuCY0B5PSrJvCu2j-PlK.aiHsu2xUjUM8bWpetXoB',
      'https://acme.example/ctx': { unit: 'ward 7' },
    });
    assert.deepEqual(kept, fhirContext);
    assert.deepEqual(extraContext, {
      user: '12742069',
      username: 'portal',
      '__epic.dstu2.patient': 'Tbt3KuCY0B5PSrJvCu2j-PlK.aiHsu2xUjUM8bWpetXoB',
      'https://acme.example/ctx': { unit: 'ward 7' },
    });
  });

  it('never keeps a token: by name, or by a JWT-shaped value at any depth', () => {
    const { extraContext } = extraContextOf({
      state: 'consumed-state',
      issued_token_type: 'urn:x',
      session_secret: 's',
      client_assertion: 'a',
      code: 'c',
      handle: JWT,
      nested: { deeper: [JWT] },
      kept: 'yes',
    });
    assert.deepEqual(extraContext, { kept: 'yes' });
    // Dotted opaque ids are not tokens: Epic's look like this one.
    const epicId = 'TbT3KuCY0B5PSrJvCu2j-PlK.aiHsu2xUjU.M8bWpetXoB';
    assert.deepEqual(extraContextOf({ '__epic.dstu2.patient': epicId }).extraContext, {
      '__epic.dstu2.patient': epicId,
    });
  });

  it('fhirContext that is not an array, or too large, is null; extra fields stop at the size cap', () => {
    assert.equal(extraContextOf({ fhirContext: { reference: 'Patient/1' } }).fhirContext, null);
    const huge = [{ reference: 'x'.repeat(MAX_CONTEXT_JSON) }];
    assert.equal(extraContextOf({ fhirContext: huge }).fhirContext, null);
    const { extraContext } = extraContextOf({
      a: 'x'.repeat(MAX_CONTEXT_JSON - 100),
      b: 'y'.repeat(200),
      c: 1,
    });
    assert.deepEqual(Object.keys(extraContext ?? {}), ['a', 'c']);
    assert.equal(extraContextOf({ access_token: 'x' }).extraContext, null);
  });
});
