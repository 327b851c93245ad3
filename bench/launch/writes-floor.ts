/**
 * `npm run bench:launch-writes`: the CPU a launch's database writes cost on their own, in this
 * process, with no HTTP, no EHR and nothing else running — the part of a launch's CPU that no
 * request handling can remove while the launch keeps its state single-use in the database, its
 * tokens sealed and its audit rows (issue 17's "floor" of the CPU-per-launch target).
 *
 * Per engine, on a fresh database: the start hop's write (pending launch, state, audit), the
 * callback's state take, and the ready write (tokens, context, scoped account, audit, webhook
 * outbox) — the same functions the gateway calls — in rounds after a warm-up, with 1, 10 and 50
 * launches in flight (bench:launch's concurrencies). Prints the CPU µs per launch of all three
 * writes, and of each one at concurrency 1. One at a time is the dearest case on PostgreSQL: each
 * round trip waits alone, and waking the process for each answer is part of its cost.
 *
 * Environment: BENCH_ENGINES (default sqlite,postgres), BENCH_CONCURRENCY (default 1,10,50),
 * BENCH_LAUNCHES (per round, default 2000), BENCH_ROUNDS (default 3).
 */
import { randomBytes } from 'node:crypto';
import { createSealer } from '../../src/crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../../src/db/index.ts';
import { createPendingLaunch } from '../../src/launch/ehr-launches.ts';
import { completeLaunch } from '../../src/launch/launch-completion.ts';
import { consumeLaunchState, newState } from '../../src/launch/launch-state.ts';
import { addFhirSource } from '../../src/settings/fhir-sources.ts';
import { createOrganization } from '../../src/settings/organizations.ts';
import type { TokenSet } from '../../src/smart/code-exchange.ts';
import { createTestDatabase, type TestEngine } from '../../test/support/databases.ts';
import { isEntryPoint, list, positive } from '../support/cli.ts';
import { percentile } from '../support/stats.ts';
import { table } from '../support/table.ts';
import type { Cell } from './report.ts';

const SCOPE = 'launch openid fhirUser offline_access user/Patient.read user/Observation.read';

/** A token response of the size the launch benchmark's EHR stand-in gives. */
const TOKENS: TokenSet = {
  accessToken: 'a'.repeat(400),
  refreshToken: 'r'.repeat(120),
  expiresIn: 570,
  scope: SCOPE,
  patient: '12724066',
  encounter: '97939518',
  fhirUser: 'Practitioner/593923',
  idTokenClaims: { sub: '593923', fhirUser: 'Practitioner/593923', iss: 'https://ehr.example/oidc' },
  needPatientBanner: true,
  smartStyleUrl: null,
  tenant: null,
};

export interface WritesFloor {
  readonly engine: TestEngine;
  /** Launches in flight at once. */
  readonly concurrency: number;
  /** CPU µs per launch, median of the rounds: each write (one at a time only) and all of them. */
  readonly start: number | null;
  readonly take: number | null;
  readonly ready: number | null;
  readonly total: number;
}

/**
 * For `npm run bench`: each launch cell's CPU beside its database writes alone. `fhirclient +
 * writes` is the least CPU per launch that any gateway doing these writes could reach in that
 * cell (÷ fhirclient: the floor of the ≤ 1.0× target); `Chartside − writes` is everything else it
 * does (HTTP, the EHR calls, id_token verification, sealing, settings), ÷ fhirclient's whole launch.
 */
export function writesFloorTable(cells: readonly Cell[], floors: readonly WritesFloor[]): string {
  const rows = cells.flatMap((cell) => {
    const floor = floors.find((f) => f.engine === cell.engine && f.concurrency === cell.concurrency);
    if (!floor) return [];
    const writes = floor.total / 1000;
    const ours = cell.chartside.cpuPerLaunch;
    const theirs = cell.fhirclient.cpuPerLaunch;
    return [
      [
        `${cell.engine} · ${cell.auth} · c${cell.concurrency}`,
        `${ours.toFixed(2)} ms`,
        `${theirs.toFixed(2)} ms`,
        `${writes.toFixed(2)} ms`,
        `${((theirs + writes) / theirs).toFixed(2)}×`,
        `${((ours - writes) / theirs).toFixed(2)}×`,
      ],
    ];
  });
  return table(
    [
      'cell',
      'Chartside CPU/launch',
      'fhirclient',
      'DB writes alone',
      'floor: (fhirclient + writes) ÷ fhirclient',
      '(Chartside − writes) ÷ fhirclient',
    ],
    rows,
  );
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

export async function measureWritesFloor(
  engine: TestEngine,
  options: { launches: number; rounds: number; concurrency: number },
): Promise<WritesFloor> {
  const { launches, rounds, concurrency } = options;
  const database = await createTestDatabase(engine);
  const handle = openDatabase(database.url, { preparedStatements: true });
  try {
    await migrateToLatest(handle);
    const { db } = handle;
    const sealer = createSealer(randomBytes(32));
    const org = await createOrganization(db, { name: 'Writes Floor' });
    const iss = 'https://ehr.example/r4/tenant';
    const source = await addFhirSource(db, { iss, vendor: 'smart', environment: 'sandbox' });
    const spent = { start: 0, take: 0, ready: 0 };
    const launch = async () => {
      const state = newState();
      let before = cpuMicros();
      const id = await createPendingLaunch(
        db,
        sealer,
        {
          orgId: org.id,
          fhirSourceId: source.id,
          environment: 'sandbox',
          vendor: 'smart',
          mode: 'ehr',
          iss,
          clientId: 'bench-client',
          requestedScope: SCOPE,
          codeVerifier: randomBytes(32).toString('base64url'),
          redirectUri: 'https://gw.example/api/auth/smart/launch-callback',
          requestId: 'bench',
        },
        state,
      );
      let after = cpuMicros();
      spent.start += after - before;
      before = after;
      if (!(await consumeLaunchState(db, sealer, state))) throw new Error('the state did not open');
      after = cpuMicros();
      spent.take += after - before;
      before = after;
      const ready = await completeLaunch(
        db,
        sealer,
        { id, orgId: org.id, fhirSourceId: source.id },
        TOKENS,
        'bench',
      );
      if (!ready) throw new Error('the launch did not become ready');
      spent.ready += cpuMicros() - before;
    };
    // `concurrency` loops side by side, `count` launches in all.
    const run = async (count: number) => {
      let left = count;
      const loop = async () => {
        while (left > 0) {
          left -= 1;
          await launch();
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
    };
    await run(Math.min(500, launches));
    const perRound: { start: number; take: number; ready: number; total: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      spent.start = spent.take = spent.ready = 0;
      const before = cpuMicros();
      await run(launches);
      perRound.push({
        start: spent.start / launches,
        take: spent.take / launches,
        ready: spent.ready / launches,
        total: (cpuMicros() - before) / launches,
      });
    }
    // Side by side, one launch's CPU deltas include the others': only the total is its own.
    const part = (pick: (r: (typeof perRound)[number]) => number) =>
      concurrency === 1 ? median(perRound.map(pick)) : null;
    return {
      engine,
      concurrency,
      start: part((r) => r.start),
      take: part((r) => r.take),
      ready: part((r) => r.ready),
      total: median(perRound.map((r) => r.total)),
    };
  } finally {
    await handle.close();
    await database.drop();
  }
}

if (isEntryPoint(import.meta.url)) {
  const engines = list(process.env.BENCH_ENGINES, 'sqlite,postgres') as TestEngine[];
  const concurrencies = list(process.env.BENCH_CONCURRENCY, '1,10,50').map(Number);
  const launches = positive(process.env.BENCH_LAUNCHES, 2000);
  const rounds = positive(process.env.BENCH_ROUNDS, 3);
  const floors: WritesFloor[] = [];
  for (const engine of engines) {
    for (const concurrency of concurrencies) {
      floors.push(await measureWritesFloor(engine, { launches, rounds, concurrency }));
    }
  }
  const µs = (value: number | null) => (value === null ? '' : value.toFixed(0));
  console.log(
    `\nA launch's database writes alone, in this process: CPU µs per launch (median of ${rounds} rounds of ${launches})\n`,
  );
  console.log(
    table(
      ['engine', 'concurrency', 'start hop write', 'state take', 'ready write', 'all writes'],
      floors.map((f) => [f.engine, String(f.concurrency), µs(f.start), µs(f.take), µs(f.ready), µs(f.total)]),
    ),
  );
}
