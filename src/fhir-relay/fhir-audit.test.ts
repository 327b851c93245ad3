import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fhirRequestEvent, newFhirAuditRecord } from './fhir-audit.ts';

function searchAudited(query: string): unknown {
  const record = newFhirAuditRecord({
    orgId: 'org_1',
    apiKeyPrefix: 'AbCdEfGhIjKl',
    requestId: 'req-1',
    method: 'GET',
    startedAt: 1_000,
  });
  record.query = query;
  return JSON.parse(fhirRequestEvent(record, 200, 1_005).details as string).search;
}

describe('the FHIR audit row’s search', () => {
  it('keeps FHIR search parameters, code and state included, as the app sent them', () => {
    const query = 'patient=12742400&code=http://loinc.org|8867-4&state=active&_count=5';
    assert.equal(searchAudited(query), query);
  });

  it('redacts credentials an app put in the query, however they are spelled', () => {
    assert.equal(
      searchAudited('patient=1&access_token=secret-token&code=8867-4'),
      'patient=1&access_token=%5BREDACTED%5D&code=8867-4',
    );
    assert.equal(searchAudited('acc%65ss_token=secret-token'), 'access_token=%5BREDACTED%5D');
    assert.equal(
      searchAudited('mb_launch=abc&client_secret=s'),
      'mb_launch=%5BREDACTED%5D&client_secret=%5BREDACTED%5D',
    );
  });

  it('is null without a query and capped at 512 characters', () => {
    assert.equal(searchAudited(''), null);
    assert.equal((searchAudited(`name=${'a'.repeat(600)}`) as string).length, 512);
  });
});
