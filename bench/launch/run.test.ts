/**
 * `npm run bench:launch` end to end, tiny: all three subjects complete every launch against the
 * stub with either client authentication, the tables and the targets print, the gateway's
 * database queries are counted, and the raw figures land in bench-results/.
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
        BENCH_CONCURRENCY: '10',
        BENCH_ENGINES: 'sqlite',
        BENCH_ROUNDS: '1',
      },
    });
    for (const auth of ['client_secret_basic', 'private_key_jwt']) {
      assert.match(stdout, new RegExp(`sqlite · ${auth} · concurrency 10 · 20 \\+ 20 \\+ 20 launches`));
      assert.match(
        stdout,
        new RegExp(
          `launch +sqlite · ${auth} · c10 +CPU per launch ÷ fhirclient +\\d+\\.\\d\\d× +≤ 1\\.00× +[✔✘]`,
        ),
      );
      assert.match(
        stdout,
        new RegExp(
          `launch +sqlite · ${auth} · c10 +CPU per launch ÷ bare relay +\\d+\\.\\d\\d× +≤ 2\\.50× +[✔✘]`,
        ),
      );
      assert.match(
        stdout,
        new RegExp(`launch +sqlite · ${auth} · c10 +DB statements per launch +\\d+\\.\\d\\d\\n`),
      );
    }
    assert.match(stdout, /^bare relay \(floor\) +\d+ /m);
    assert.match(stdout, /\d+ of \d+ targets met, \d+ missed\./);
    const file = /Raw figures: (.+\.json)/.exec(stdout)?.[1] as string;
    try {
      const figures = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(figures.errors.count, 0);
      assert.deepEqual(
        figures.cells.map((cell: { auth: string }) => cell.auth),
        ['client_secret_basic', 'private_key_jwt'],
      );
      for (const cell of figures.cells) {
        assert.equal(cell.rounds.filter((round: { subject: string }) => round.subject === 'floor').length, 1);
        for (const subject of [cell.chartside, cell.fhirclient, cell.floor]) {
          assert.equal(subject.launches, 20);
          assert.ok(Number.isFinite(subject.cpuPerLaunch) && subject.addedP99 >= subject.addedP50);
        }
        assert.ok(cell.chartside.queriesPerLaunch > 1, 'the gateway’s statements are counted');
        assert.equal(cell.fhirclient.queriesPerLaunch, null, 'the baseline has no counter');
      }
      assert.ok(figures.checks.length >= 8);
      assert.equal(figures.machine.cores > 0 && typeof figures.machine.commit, 'string');
    } finally {
      rmSync(file, { force: true });
    }
  });
});
