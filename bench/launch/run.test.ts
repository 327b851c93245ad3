/**
 * `npm run bench:launch` end to end, tiny: all three subjects complete every launch against the
 * stub, the tables and targets print, and the raw figures land in bench-results/.
 * Run: bash scripts/test.sh bench/launch/*.test.ts
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('bench:launch', () => {
  it('runs every launch through every subject and writes the figures', { timeout: 180_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/launch.ts'], {
      cwd: root,
      env: {
        ...process.env,
        BENCH_LAUNCHES: '20',
        BENCH_CONCURRENCY: '1,5',
        BENCH_ENGINES: 'sqlite',
        BENCH_ROUNDS: '1',
      },
    });
    assert.match(stdout, /sqlite · concurrency 1 · 20 \+ 20 \+ 20 launches/);
    assert.match(stdout, /sqlite · concurrency 5 · 20 \+ 20 \+ 20 launches/);
    assert.match(stdout, /^bare relay \(floor\) +\d+ /m);
    assert.match(stdout, /CPU per launch ≤ 0\.5× the baseline's: +sqlite c1 \d+\.\d\d× [✓✗]/);
    assert.match(
      stdout,
      /floor \(bare relay, no DB\/verification\/sealing\) CPU per launch: sqlite c1 \d+\.\d\d×/,
    );
    const file = /Raw figures: (.+\.json)/.exec(stdout)?.[1] as string;
    try {
      const figures = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(figures.errors.count, 0);
      assert.equal(figures.cells.length, 2);
      for (const cell of figures.cells) {
        assert.equal(cell.rounds.filter((round: { subject: string }) => round.subject === 'floor').length, 1);
        for (const subject of [cell.chartside, cell.fhirclient, cell.floor]) {
          assert.equal(subject.launches, 20);
          assert.ok(Number.isFinite(subject.cpuPerLaunch) && subject.addedP99 >= subject.addedP50);
        }
      }
    } finally {
      rmSync(file, { force: true });
    }
  });
});
