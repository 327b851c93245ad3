/**
 * Reading `chartside_db_queries_total` from the text the gateway's /metrics answers.
 * Run: bash scripts/test.sh bench/support/*.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DB_QUERIES, sampleSum } from './metrics-scrape.ts';

describe('sampleSum', () => {
  const exposition = [
    '# HELP chartside_db_queries_total Queries sent to the database …',
    '# TYPE chartside_db_queries_total counter',
    'chartside_db_queries_total{engine="postgres"} 1234',
    'chartside_db_queries_total_other 7',
    'chartside_db_pool_connections{state="idle"} 3',
    '',
  ].join('\n');

  it('takes the value of the named metric only, labels or not', () => {
    assert.equal(sampleSum(exposition, DB_QUERIES), 1234);
    assert.equal(sampleSum('chartside_db_queries_total 5\n', DB_QUERIES), 5);
    assert.equal(sampleSum(`${exposition}chartside_db_queries_total{engine="sqlite"} 6\n`, DB_QUERIES), 1240);
  });

  it('is NaN when the gateway does not report it', () => {
    assert.ok(Number.isNaN(sampleSum('chartside_db_pool_connections{state="idle"} 3\n', DB_QUERIES)));
  });
});
