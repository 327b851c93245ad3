import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCdsFhirAccess, intersectTypes, readableTypes } from './fhir-token.ts';

describe('CDS FHIR token scopes and access', () => {
  const grant = {
    handle: 'cds-x',
    orgId: 'o',
    fhirBase: 'https://ehr.example/r4',
    environment: 'production',
    ehrToken: 't',
    patient: '42',
    types: ['Patient', 'Observation'],
  };
  const allowed = (method: string, path: string, query = '') =>
    (() => {
      try {
        checkCdsFhirAccess(grant, method, path.split('/'), query);
        return true;
      } catch {
        return false;
      }
    })();

  it('reads only read scopes, v1 and v2, and intersects wildcards', () => {
    assert.deepEqual(
      readableTypes('user/Patient.read patient/Observation.rs user/Encounter.write launch openid'),
      ['Patient', 'Observation'],
    );
    assert.deepEqual(intersectTypes(['*'], ['Patient']), ['Patient']);
    assert.deepEqual(intersectTypes(['Patient', 'Encounter'], ['Encounter']), ['Encounter']);
  });

  it('allows the patient and searches naming only the patient', () => {
    assert.ok(allowed('GET', 'Patient/42'));
    assert.ok(allowed('GET', 'Patient', '_id=42'));
    assert.ok(allowed('GET', 'Observation', 'patient=42&category=vital-signs'));
    assert.ok(allowed('GET', 'Observation', 'subject=Patient/42'));
    assert.ok(allowed('GET', 'Observation', 'subject:Patient=42&_count=5'));
  });

  it('refuses everything else', () => {
    assert.ok(!allowed('GET', 'Patient/43'));
    assert.ok(!allowed('GET', 'Patient/42', '_elements=name'));
    assert.ok(!allowed('GET', 'Patient', 'name=Tim'));
    assert.ok(!allowed('GET', 'Observation', 'patient=42&patient=43'));
    assert.ok(!allowed('GET', 'Observation', 'patient=42,43'));
    assert.ok(!allowed('GET', 'Observation', 'patient:missing=true'));
    assert.ok(!allowed('GET', 'Observation', 'patient=42&_include=Observation:performer'));
    assert.ok(!allowed('GET', 'Observation', 'patient=42&_has:Provenance:target:agent=x'));
    assert.ok(!allowed('GET', 'Observation', 'patient.identifier=x'));
    assert.ok(!allowed('GET', 'Observation/1'));
    assert.ok(!allowed('GET', 'Patient/42/Observation'));
    assert.ok(!allowed('GET', 'Encounter', 'patient=42'));
    assert.ok(!allowed('POST', 'Observation'));
    assert.ok(!allowed('DELETE', 'Patient/42'));
  });
});
