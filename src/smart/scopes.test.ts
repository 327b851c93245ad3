import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseResourceScope, standaloneScopes, summarizeScopes, translateScopes } from './scopes.ts';

describe('SMART scopes (SMART App Launch 2.2 §Scopes)', () => {
  it('reads v1 and v2 resource scopes, wildcards and granular filters', () => {
    assert.deepEqual(parseResourceScope('user/Patient.read'), {
      context: 'user',
      resourceType: 'Patient',
      syntax: 'v1',
      wildcard: false,
      granular: false,
    });
    assert.equal(parseResourceScope('patient/*.rs')?.wildcard, true);
    assert.equal(parseResourceScope('user/Observation.*')?.syntax, 'v1');
    assert.equal(parseResourceScope('user/Observation.*')?.wildcard, true);
    assert.deepEqual(parseResourceScope('patient/Observation.rs?category=vital-signs'), {
      context: 'patient',
      resourceType: 'Observation',
      syntax: 'v2',
      wildcard: false,
      granular: true,
    });
    for (const notResource of [
      'openid',
      'launch/patient',
      'user/Patient.sr',
      'user/Patient.read?x=1',
      'user/Patient.',
    ]) {
      assert.equal(parseResourceScope(notResource), undefined, notResource);
    }
  });

  it('summarizes the syntaxes, wildcards and granular scopes of a scope string', () => {
    const summary = summarizeScopes('openid  launch patient/*.rs user/Observation.rs?category=laboratory');
    assert.deepEqual([...summary.syntaxes], ['v2']);
    assert.deepEqual(summary.wildcards, ['patient/*.rs']);
    assert.deepEqual(summary.granular, ['user/Observation.rs?category=laboratory']);
    assert.equal(summary.patientScopes, true);
    assert.deepEqual([...summarizeScopes('user/Patient.read user/Patient.rs').syntaxes].sort(), ['v1', 'v2']);
  });

  it('a standalone launch asks for launch/patient (and launch/encounter) in the place of launch', () => {
    assert.equal(
      standaloneScopes('openid fhirUser launch user/Patient.read', true),
      'openid fhirUser launch/patient launch/encounter user/Patient.read',
    );
    assert.equal(
      standaloneScopes('openid launch/patient launch user/Patient.rs', false),
      'openid launch/patient user/Patient.rs',
    );
    assert.equal(standaloneScopes('openid user/Patient.rs', false), 'openid user/Patient.rs launch/patient');
  });

  it('translates between v1 and v2 where one says exactly what the other does', () => {
    assert.equal(
      translateScopes('openid user/Patient.read patient/*.write user/Observation.*', 'v2'),
      'openid user/Patient.rs patient/*.cud user/Observation.cruds',
    );
    assert.equal(
      translateScopes('user/Patient.rs user/Observation.r patient/Condition.rs?category=x', 'v1'),
      'user/Patient.read user/Observation.r patient/Condition.rs?category=x',
    );
  });
});
