/**
 * `npm run bench` end to end, tiny (SQLite, one round, short runs): the three benchmarks run in
 * sequence, one table judges every target, and one JSON file holds the figures, the machine and
 * the commit.
 * Run: bash scripts/test.sh bench/support/*.test.ts
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run bench', () => {
  it('runs launch, proxy and CDS and prints one table of the targets', { timeout: 300_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/all.ts'], {
      cwd: root,
      env: {
        ...process.env,
        BENCH_ENGINES: 'sqlite',
        BENCH_ROUNDS: '1',
        BENCH_LAUNCHES: '20',
        BENCH_CONCURRENCY: '50',
        BENCH_AUTH: 'private_key_jwt',
        BENCH_SOAK: '0',
        BENCH_DURATION: '1',
        BENCH_RATES: '200',
        BENCH_REQUESTS: '50',
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    assert.match(
      stdout,
      /sqlite · private_key_jwt · c50 +\d+\.\d\d ms +\d+\.\d\d ms +\d+\.\d\d ms +\d+\.\d\d× +-?\d+\.\d\d×/,
      'each launch cell beside its database writes alone',
    );
    const table = stdout.slice(stdout.indexOf("Issue 17's targets"));
    assert.match(
      table,
      /launch +sqlite · private_key_jwt · c50 +launches\/s ÷ fhirclient +\d+\.\d\d× +≥ 1\.00× +[✔✘]/,
    );
    assert.match(
      table,
      /proxy +sqlite · Patient read +CPU per request ÷ pass-through +\d+\.\d\d× +≤ 1\.50× +[✔✘]/,
    );
    assert.match(
      table,
      /proxy +sqlite · Patient read +added p99 at 200 req\/s +-?\d+\.\d\d ms +≤ 1\.00 ms +[✔✘]/,
    );
    assert.match(table, /cds +sqlite +relay added p99 +-?\d+\.\d\d ms +≤ 5\.00 ms +[✔✘]/);
    assert.match(table, /cds +sqlite +cache hit p50 \(whole request\) +\d+\.\d\d ms +≤ 1\.00 ms +[✔✘]/);
    assert.match(table, /Machine: \d+ cores \(.+\), Node v\d+/);
    const file = /Raw figures: (.+bench-[^/]+\.json)/.exec(stdout)?.[1] as string;
    try {
      const figures = JSON.parse(readFileSync(file, 'utf8'));
      assert.match(figures.startedAt, /^\d{4}-\d\d-\d\dT/);
      for (const field of ['cores', 'cpuModel', 'node', 'sqlite', 'loadAverage', 'commit']) {
        assert.ok(figures.machine[field] !== undefined && figures.machine[field] !== '', field);
      }
      assert.equal(figures.launch.errors.count, 0);
      assert.equal(figures.launch.cells.length, 1);
      assert.equal(figures.proxy.cells.length, 2, 'two scenarios');
      assert.equal(figures.cds.results.length, 1);
      assert.ok(figures.checks.some((check: { bench: string }) => check.bench === 'cds'));
    } finally {
      rmSync(file, { force: true });
    }
  });
});
