/**
 * The memory soak of `npm run bench:launch` (BENCH_SOAK): N launches per subject at concurrency
 * 20, the subjects taking turns every 1,000, each one's resident memory read after its turn.
 * Growth is the least-squares slope of the lowest reading of every 5,000 launches (what memory
 * comes back to between collections, so the garbage collector's sawtooth does not count and a
 * leak does), once the first 20 % (at most 20,000 launches) are behind.
 */
import { lowerEnvelope, slope } from '../support/stats.ts';
import type { Subject } from './driver.ts';
import type { SoakResult } from './report.ts';
import { type Ehr, measureRound, note, type Problems } from './rounds.ts';

const SOAK_CONCURRENCY = 20;
const SAMPLE_EVERY = 1000;
const WINDOW = 5000;

export async function soak(
  subjects: readonly Subject[],
  ehr: Ehr,
  engine: string,
  launches: number,
  problems: Problems,
): Promise<SoakResult> {
  const started = Date.now();
  const samples: Record<string, Array<{ launches: number; rss: number }>> = Object.fromEntries(
    subjects.map((subject) => [subject.name, []]),
  );
  for (let done = 0; done < launches; ) {
    const count = Math.min(SAMPLE_EVERY, launches - done);
    for (const subject of subjects) {
      const round = await measureRound(subject, ehr, count, SOAK_CONCURRENCY, `soak-${done}-${subject.name}`);
      note(problems, round);
      if (done === 0) samples[subject.name]?.push({ launches: 0, rss: round.rssBefore });
      samples[subject.name]?.push({ launches: done + count, rss: round.rssAfter });
    }
    done += count;
    if (done % WINDOW === 0 || done === launches)
      process.stdout.write(`\rsoak: ${done}/${launches} launches per subject`);
  }
  process.stdout.write('\n');
  const warmUp = Math.min(20_000, launches * 0.2);
  const figures: SoakResult['subjects'] = {};
  for (const [name, points] of Object.entries(samples)) {
    const settled = points.filter((point) => point.launches > warmUp);
    figures[name] = {
      samples: points,
      bytesPerLaunch: slope(
        lowerEnvelope(
          settled.map((point) => ({ x: point.launches, y: point.rss })),
          WINDOW,
        ),
      ),
    };
  }
  return {
    engine,
    launchesPerSubject: launches,
    concurrency: SOAK_CONCURRENCY,
    seconds: (Date.now() - started) / 1000,
    subjects: figures,
  };
}
