import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChartsideError } from '../errors/catalogue.ts';
import { describeInteraction } from './fhir-interaction.ts';
import { parseFhirTarget, upstreamUrl } from './fhir-path.ts';

const ID = '5f0c8a3e-1b2c-4d5e-8f90-123456789abc';
const BASE = 'https://fhir-ehr-code.cerner.com/r4/ec2458f2';

const target = (path: string) => parseFhirTarget(`/fhir/${ID}${path}`, ID);
const refused = (error: unknown) => error instanceof ChartsideError && error.code === 'fhir_path_not_allowed';

describe('FHIR paths under the launch’s FHIR base', () => {
  it('accepts FHIR paths and keeps the query as sent', () => {
    assert.deepEqual(target('/Patient/12724066'), { segments: ['Patient', '12724066'], query: '' });
    assert.deepEqual(target('/Observation?patient=1&category=vital-signs&date=ge2024-01-01'), {
      segments: ['Observation'],
      query: 'patient=1&category=vital-signs&date=ge2024-01-01',
    });
    assert.deepEqual(target('/Patient/1/%24everything').segments, ['Patient', '1', '$everything']);
    assert.deepEqual(target('/Observation/L-1.2/_history/3').segments, [
      'Observation',
      'L-1.2',
      '_history',
      '3',
    ]);
    assert.deepEqual(target('/.well-known/smart-configuration').segments, [
      '.well-known',
      'smart-configuration',
    ]);
    assert.deepEqual(target(''), { segments: [], query: '' });
    assert.deepEqual(target('/?_type=Patient'), { segments: [], query: '_type=Patient' });
  });

  it('refuses traversal, encoded separators, absolute URLs, other hosts and odd characters', () => {
    const attempts = [
      '/..',
      '/Patient/../..',
      '/./Patient',
      '/%2e%2e/admin',
      '/%2E%2e',
      '/Patient%2F..%2F..',
      '/%252e%252e',
      '/Patient%5C..',
      '/Patient\\..',
      '//evil.example/Patient',
      '/https://evil.example',
      '/http:%2F%2Fevil.example',
      '/@evil.example',
      '/Patient/1%00',
      '/Patient/%E0%A4%A',
      '/Patient/1/',
      '/Patient name',
      `/${'a/'.repeat(9)}a`,
      'x/Patient',
    ];
    for (const path of attempts) assert.throws(() => target(path), refused, path);
    assert.throws(() => parseFhirTarget('/fhir/other/Patient/1', ID), refused);
  });

  it('builds the EHR URL from the base and the checked segments only', () => {
    assert.equal(upstreamUrl(BASE, target('/Patient/1?_format=json')).href, `${BASE}/Patient/1?_format=json`);
    assert.equal(upstreamUrl(`${BASE}/`, target('/Patient/1')).href, `${BASE}/Patient/1`);
    assert.equal(upstreamUrl(BASE, target('')).href, BASE);
    assert.equal(upstreamUrl('https://ehr.example', target('/Patient')).href, 'https://ehr.example/Patient');
    const url = upstreamUrl(BASE, target('/Observation?subject=https://evil.example/x'));
    assert.equal(url.origin, 'https://fhir-ehr-code.cerner.com', 'a URL in the query changes nothing');
  });
});

describe('FHIR interactions, for the audit trail', () => {
  it('names the restful interaction, the resource type and the id', () => {
    const cases: [string, string, Record<string, string | null>][] = [
      ['GET', '/Patient/1', { interaction: 'read', resourceType: 'Patient', resourceId: '1' }],
      ['GET', '/Observation', { interaction: 'search-type', resourceType: 'Observation', resourceId: null }],
      [
        'POST',
        '/Observation/_search',
        { interaction: 'search-type', resourceType: 'Observation', resourceId: null },
      ],
      ['POST', '/Observation', { interaction: 'create', resourceType: 'Observation', resourceId: null }],
      ['PUT', '/Observation/9', { interaction: 'update', resourceType: 'Observation', resourceId: '9' }],
      ['PATCH', '/Observation/9', { interaction: 'patch', resourceType: 'Observation', resourceId: '9' }],
      ['DELETE', '/Observation/9', { interaction: 'delete', resourceType: 'Observation', resourceId: '9' }],
      ['GET', '/Patient/1/_history/2', { interaction: 'vread', resourceType: 'Patient', resourceId: '1' }],
      [
        'GET',
        '/Patient/1/_history',
        { interaction: 'history-instance', resourceType: 'Patient', resourceId: '1' },
      ],
      [
        'GET',
        '/Patient/1/Observation',
        { interaction: 'search-compartment', resourceType: 'Patient', resourceId: '1' },
      ],
      [
        'GET',
        '/Patient/1/$everything',
        { interaction: 'operation', resourceType: 'Patient', resourceId: '1' },
      ],
      ['GET', '/metadata', { interaction: 'capabilities', resourceType: null, resourceId: null }],
      ['POST', '', { interaction: 'batch/transaction', resourceType: null, resourceId: null }],
      ['GET', '?_type=Patient', { interaction: 'search-system', resourceType: null, resourceId: null }],
    ];
    for (const [method, path, expected] of cases) {
      assert.deepEqual(describeInteraction(method, target(path).segments), expected, `${method} ${path}`);
    }
  });
});
