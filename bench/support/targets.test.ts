/**
 * Issue 17's targets judged from figures: the right ✔/✘ for each, at the limits too, only in the
 * cells the issue names, and "not measured" (no verdict) where a figure is missing.
 * Run: bash scripts/test.sh bench/support/*.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Check,
  cdsChecks,
  formatChecks,
  type LaunchCellFigures,
  type LaunchSide,
  launchChecks,
  type ProxyCellFigures,
  proxyChecks,
  soakChecks,
} from './targets.ts';

const side = (overrides: Partial<LaunchSide> = {}): LaunchSide => ({
  launchesPerSecond: 100,
  addedP99: 10,
  cpuPerLaunch: 2,
  queriesPerLaunch: Number.NaN,
  ...overrides,
});

const cell = (overrides: Partial<LaunchCellFigures> = {}): LaunchCellFigures => ({
  engine: 'postgres',
  auth: 'private_key_jwt',
  concurrency: 10,
  chartside: side({ queriesPerLaunch: 4 }),
  fhirclient: side(),
  floor: side({ cpuPerLaunch: 0.8 }),
  ...overrides,
});

const find = (checks: Check[], figure: string, where?: string) => {
  const found = checks.filter((check) => check.figure === figure && (!where || check.cell.includes(where)));
  assert.equal(found.length, 1, `one ${figure} ${where ?? ''} in ${checks.map((c) => c.figure).join(', ')}`);
  return found[0] as Check;
};

describe('launch targets', () => {
  it('meets CPU ≤ 1.0× the baseline and ≤ 2.5× the floor at the limit, and misses just above', () => {
    const atLimit = launchChecks([
      cell({ chartside: side({ cpuPerLaunch: 2 }), floor: side({ cpuPerLaunch: 0.8 }) }),
    ]);
    assert.equal(find(atLimit, 'CPU per launch ÷ fhirclient').met, true);
    assert.equal(find(atLimit, 'CPU per launch ÷ fhirclient').shown, '1.00×');
    assert.equal(find(atLimit, 'CPU per launch ÷ bare relay').met, true);
    assert.equal(find(atLimit, 'CPU per launch ÷ bare relay').shown, '2.50×');
    assert.equal(find(atLimit, 'CPU per launch ÷ bare relay').detail, '2.00 vs 0.80 ms');
    const above = launchChecks([cell({ chartside: side({ cpuPerLaunch: 2.02 }) })]);
    assert.equal(find(above, 'CPU per launch ÷ fhirclient').met, false);
    assert.equal(find(above, 'CPU per launch ÷ bare relay').met, false);
  });

  it('judges launches/s at concurrency 50 only: ≥ 1.0× on SQLite, ≥ 0.8× on PostgreSQL', () => {
    const at = (engine: string, ratio: number) =>
      find(
        launchChecks([
          cell({ engine, concurrency: 50, chartside: side({ launchesPerSecond: 100 * ratio }) }),
        ]),
        'launches/s ÷ fhirclient',
      );
    assert.equal(at('sqlite', 1).met, true);
    assert.equal(at('sqlite', 0.95).met, false);
    assert.equal(at('postgres', 0.85).met, true);
    assert.equal(at('postgres', 0.79).met, false);
    assert.equal(at('postgres', 0.8).target, '≥ 0.80×');
    const c10 = launchChecks([cell({ concurrency: 10 })]);
    assert.ok(!c10.some((check) => check.figure === 'launches/s ÷ fhirclient'));
  });

  it('judges the added p99 at concurrency 10 only, ≤ 1.0× the baseline on both engines', () => {
    for (const engine of ['sqlite', 'postgres']) {
      const met = launchChecks([cell({ engine, chartside: side({ addedP99: 10 }) })]);
      assert.equal(find(met, 'added p99 ÷ fhirclient').met, true);
      const missed = launchChecks([cell({ engine, chartside: side({ addedP99: 12.5 }) })]);
      assert.equal(find(missed, 'added p99 ÷ fhirclient').met, false);
      assert.equal(find(missed, 'added p99 ÷ fhirclient').detail, '12.5 vs 10.0 ms');
    }
    const c50 = launchChecks([cell({ concurrency: 50 })]);
    assert.ok(!c50.some((check) => check.figure === 'added p99 ÷ fhirclient'));
  });

  it('holds PostgreSQL to ≤ 4 round trips per launch and reports SQLite statements without a target', () => {
    const rt = (queriesPerLaunch: number) =>
      find(launchChecks([cell({ chartside: side({ queriesPerLaunch }) })]), 'DB round trips per launch');
    assert.equal(rt(4).met, true);
    assert.equal(rt(3).met, true);
    assert.equal(rt(4.01).met, false);
    assert.equal(rt(Number.NaN).met, null);
    assert.equal(rt(Number.NaN).shown, 'not measured');
    const sqlite = find(
      launchChecks([cell({ engine: 'sqlite', chartside: side({ queriesPerLaunch: 12 }) })]),
      'DB statements per launch',
    );
    assert.equal(sqlite.met, null);
    assert.equal(sqlite.target, '');
    assert.equal(sqlite.shown, '12.00');
  });

  it('judges only the concurrencies the targets name, and no floor means not measured', () => {
    assert.deepEqual(launchChecks([cell({ concurrency: 1 })]), []);
    const noFloor = find(launchChecks([cell({ floor: undefined })]), 'CPU per launch ÷ bare relay');
    assert.equal(noFloor.met, null);
    assert.equal(noFloor.detail, 'BENCH_FLOOR=0');
  });

  it('names each cell by engine, client authentication and concurrency', () => {
    const checks = launchChecks([cell({ engine: 'sqlite', auth: 'client_secret_basic', concurrency: 50 })]);
    assert.ok(
      checks.every(
        (check) => check.bench === 'launch' && check.cell === 'sqlite · client_secret_basic · c50',
      ),
    );
  });
});

describe('memory soak', () => {
  const soak = (bytesPerLaunch: number, launchesPerSubject = 100_000) =>
    soakChecks({
      engine: 'sqlite',
      launchesPerSubject,
      subjects: { chartside: { bytesPerLaunch }, fhirclient: { bytesPerLaunch: 900 } },
    })[0] as Check;

  it('is flat below 200 bytes per launch', () => {
    assert.equal(soak(150).met, true);
    assert.equal(soak(200).met, false);
    assert.equal(soak(-40).met, true);
    assert.equal(soak(150).cell, 'sqlite · 100,000 launches');
    assert.equal(soak(150).detail, 'fhirclient 900 B/launch');
  });

  it('says when the soak was shorter than the 100,000 launches the target speaks of', () => {
    assert.match(soak(150, 20_000).detail, /shortened: the target is over 100,000/);
    assert.deepEqual(soakChecks(null), []);
  });
});

describe('proxy targets', () => {
  const proxy = (overrides: Partial<ProxyCellFigures> = {}): ProxyCellFigures => ({
    engine: 'postgres',
    scenario: 'Patient read',
    cpuPerRequest: { proxy: 0.45, passThrough: 0.3 },
    added: [
      { rate: 200, p99: 1 },
      { rate: 1000, p99: 1.4 },
    ],
    queriesPerRequest: 0.04,
    ...overrides,
  });

  it('holds the gateway CPU per request to ≤ 1.5× the pass-through', () => {
    assert.equal(find(proxyChecks([proxy()]), 'CPU per request ÷ pass-through').met, true);
    const over = proxyChecks([proxy({ cpuPerRequest: { proxy: 0.46, passThrough: 0.3 } })]);
    assert.equal(find(over, 'CPU per request ÷ pass-through').met, false);
  });

  it('holds the added p99 to ≤ 1 ms at 200 and at 1,000 req/s, and only reports other rates', () => {
    const checks = proxyChecks([proxy({ added: [...proxy().added, { rate: 500, p99: 3 }] })]);
    assert.equal(find(checks, 'added p99 at 200 req/s').met, true);
    assert.equal(find(checks, 'added p99 at 1000 req/s').met, false);
    assert.equal(find(checks, 'added p99 at 1000 req/s').shown, '1.40 ms');
    assert.equal(find(checks, 'added p99 at 500 req/s').met, null);
    assert.equal(find(checks, 'DB round trips per request').met, null);
  });

  it('judges each engine and scenario apart', () => {
    const checks = proxyChecks([proxy({ engine: 'sqlite' }), proxy({ scenario: 'Observation search' })]);
    assert.equal(find(checks, 'DB statements per request', 'sqlite').shown, '0.04');
    assert.equal(
      find(checks, 'CPU per request ÷ pass-through', 'Observation search').cell,
      'postgres · Observation search',
    );
  });
});

describe('CDS targets', () => {
  it('holds the relay’s added p99 to ≤ 5 ms and a cache hit to ≤ 1 ms', () => {
    const [added, hit] = cdsChecks([{ engine: 'sqlite', addedP99: 5, cacheHitP50: 1.2 }]) as [Check, Check];
    assert.equal(added.met, true);
    assert.equal(added.target, '≤ 5.00 ms');
    assert.equal(hit.met, false);
    assert.equal(hit.shown, '1.20 ms');
  });
});

describe('the table', () => {
  it('shows each figure with its target and ✔/✘, and counts the targets met', () => {
    const checks = [
      ...launchChecks([
        cell({ chartside: side({ cpuPerLaunch: 1.5, queriesPerLaunch: 5 }), floor: undefined }),
      ]),
      ...cdsChecks([{ engine: 'sqlite', addedP99: 2, cacheHitP50: 0.5 }]),
    ];
    const text = formatChecks(checks);
    const line = (figure: string) => text.split('\n').find((row) => row.includes(figure)) as string;
    assert.match(
      line('CPU per launch ÷ fhirclient'),
      /postgres · private_key_jwt · c10 +CPU per launch ÷ fhirclient +0\.75× +≤ 1\.00× +✔ +1\.50 vs 2\.00 ms/,
    );
    assert.match(line('DB round trips per launch'), /5\.00 +≤ 4\.00 +✘/);
    assert.match(line('CPU per launch ÷ bare relay'), /not measured +≤ 2\.50× *(BENCH_FLOOR=0)?$/);
    assert.match(line('cache hit'), /0\.50 ms +≤ 1\.00 ms +✔/);
    assert.match(text, /\n4 of 6 targets met, 1 missed, 1 not measured\.$/);
  });
});
