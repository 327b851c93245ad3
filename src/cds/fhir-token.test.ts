import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSealer } from '../crypto/sealing.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import type { Services } from '../services.ts';
import {
  checkCdsFhirAccess,
  intersectTypes,
  mintCdsFhirToken,
  readableTypes,
  verifyCdsFhirToken,
} from './fhir-token.ts';

describe('the CDS FHIR token', () => {
  const services = {
    config: { publicUrl: 'https://gw.example' },
    sealer: createSealer(randomBytes(32)),
  } as unknown as Services;
  const ehrToken = 'eyJ-the-ehr-access-token';
  const grant = {
    orgId: 'org_1',
    fhirBase: 'https://ehr.example/r4',
    environment: 'sandbox',
    ehrToken,
    patient: '42',
    types: ['Patient', 'Observation'],
  };
  const mint = (ehrExpiresIn = 3600, now = Date.now()) =>
    mintCdsFhirToken(services, { ...grant, ehrExpiresIn }, now);
  const refusal = (error: unknown) => error instanceof ChartsideError && error.code === 'invalid_cds_token';
  const handleOf = (fhirServer: string) => fhirServer.split('/').at(-1) as string;

  it('opens at its own base to the grant it was minted with; the EHR token is not readable in it', async () => {
    const minted = await mint();
    assert.match(minted.fhirServer, /^https:\/\/gw\.example\/fhir\/cds-[0-9a-f-]{36}$/);
    assert.equal(minted.expiresIn, 300);
    assert.equal(minted.scope, 'patient/Patient.read patient/Observation.read');
    assert.ok(!minted.accessToken.includes(ehrToken));
    const handle = handleOf(minted.fhirServer);
    assert.deepEqual(await verifyCdsFhirToken(services, handle, `Bearer ${minted.accessToken}`), {
      handle,
      ...grant,
    });
  });

  it('is refused at another base, once expired, tampered with, or when it is something else', async () => {
    const now = Date.now();
    const minted = await mint(30, now);
    const handle = handleOf(minted.fhirServer);
    const other = handleOf((await mint()).fhirServer);
    await assert.rejects(verifyCdsFhirToken(services, other, `Bearer ${minted.accessToken}`), refusal);
    await assert.rejects(
      verifyCdsFhirToken(services, handle, `Bearer ${minted.accessToken}`, now + 30_000),
      refusal,
    );
    assert.ok(await verifyCdsFhirToken(services, handle, `Bearer ${minted.accessToken}`, now + 29_000));
    const tampered = `${minted.accessToken.slice(0, -2)}${minted.accessToken.endsWith('AA') ? 'BB' : 'AA'}`;
    await assert.rejects(verifyCdsFhirToken(services, handle, `Bearer ${tampered}`), refusal);
    await assert.rejects(verifyCdsFhirToken(services, handle, 'Bearer cs_live_abc_def'), refusal);
    await assert.rejects(verifyCdsFhirToken(services, handle, undefined), refusal);
    const elsewhere = { ...services, sealer: createSealer(randomBytes(32)) } as Services;
    await assert.rejects(verifyCdsFhirToken(elsewhere, handle, `Bearer ${minted.accessToken}`), refusal);
  });
});

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
