import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CacheKeyParts, cacheKey, canonicalJson } from './cache.ts';

describe('CDS cache key', () => {
  const parts: CacheKeyParts = {
    orgId: 'org_1',
    cdsEndpoint: 'https://app.example/cds',
    serviceId: 'statins',
    hook: 'patient-view',
    context: { userId: 'Practitioner/1', patientId: '42' },
    prefetch: { patient: { resourceType: 'Patient', id: '42' } },
  };

  it('ignores key order and differs for every part of the request', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
    const reordered = { ...parts, context: { patientId: '42', userId: 'Practitioner/1' } };
    assert.equal(cacheKey(reordered), cacheKey(parts));
    for (const change of [
      { orgId: 'org_2' },
      { cdsEndpoint: 'https://app.example/other' },
      { serviceId: 'other' },
      { hook: 'order-select' },
      { context: { userId: 'Practitioner/2', patientId: '42' } },
      { prefetch: undefined },
    ]) {
      assert.notEqual(cacheKey({ ...parts, ...change }), cacheKey(parts), JSON.stringify(change));
    }
  });
});
