/**
 * Accounts for every launch the driver started against the database: each one the gateway
 * redirected to the EHR is exactly one `ehr_launch` row (found by its `state` and by the request
 * id of the launch answer), its final status agrees with what the browser was shown, and nothing
 * is left `pending` once its state's life is over. Returns a tally and the list of problems.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../src/db/index.ts';
import { sweepLaunches } from '../../src/launch/sweeper.ts';
import type { HopResult, LaunchRecord } from './launch-runner.ts';

export interface Tally {
  started: number;
  ready: number;
  /** `failed` rows by `error_code`, refusals before any row by the page's code, and the rest. */
  failed: Record<string, number>;
  stillPending: number;
  duplicates: number;
  lost: number;
  /** Rows no answer named (the gateway died between writing the row and answering). */
  unanswered: number;
  hangs: number;
  /** Sandbox hops the driver repeated after a dropped connection (not the gateway's doing). */
  driverRetries: number;
  /** What the callbacks answered: 302 (to the app), the page's code, or no_answer. */
  callbacks: Record<string, number>;
}

/** Codes a launch may end with while the EHR misbehaves, the database restarts or a process dies. */
const EXPECTED_LAUNCH_CODES = new Set(['discovery_failed', 'database_unavailable']);
const EXPECTED_CALLBACK_CODES = new Set(['token_exchange_failed', 'database_unavailable']);

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Reads the rows, then runs the sweeper as it would run once the ten-minute state life has passed
 * (`now` moved on), and checks the end state. Call it with the faults off.
 */
export async function accountForLaunches(
  db: Db,
  records: LaunchRecord[],
  /** The process killed mid-run: requests in flight to it when it died may go unanswered. */
  killed: { gateway: number; at: number } | null,
): Promise<{ tally: Tally; problems: string[] }> {
  const problems: string[] = [];
  const problem = (record: LaunchRecord | null, text: string) => {
    if (problems.length < 40) problems.push(record ? `launch #${record.n}: ${text}` : text);
  };
  const rows = await db
    .selectFrom('ehr_launch')
    .select(['id', 'status', 'error_code', 'end_reason'])
    .execute();
  const started = await db
    .selectFrom('audit_event')
    .select(['launch_id', 'request_id'])
    .where('action', '=', 'launch.started')
    .execute();
  const states = await db.selectFrom('launch_state').select(['state_hash', 'launch_id']).execute();

  const launchOfState = new Map(states.map((state) => [state.state_hash, state.launch_id]));
  const launchesOfRequest = new Map<string, string[]>();
  for (const event of started) {
    const list = launchesOfRequest.get(event.request_id ?? '') ?? [];
    list.push(event.launch_id ?? '');
    launchesOfRequest.set(event.request_id ?? '', list);
  }
  const before = new Map(rows.map((row) => [row.id, row]));
  const claimed = new Map<string, number>();
  let duplicates = 0;
  let lost = 0;
  let hangs = 0;

  for (const record of records) {
    if (record.driverError) problem(record, `driver error: ${record.driverError}`);
    for (const hop of [record.launch, record.callback]) if (hop?.hung) hangs++;
    const inFlightAtKill = (hop: HopResult, gateway: number) =>
      killed !== null && gateway === killed.gateway && hop.at <= killed.at;
    if (
      record.launch?.status === null &&
      !record.launch.hung &&
      !inFlightAtKill(record.launch, record.gateways[0])
    ) {
      problem(record, 'the launch got no answer, and its process was not being killed');
    }
    if (
      record.callback?.status === null &&
      !record.callback.hung &&
      !inFlightAtKill(record.callback, record.gateways[1])
    ) {
      problem(record, 'the callback got no answer, and its process was not being killed');
    }
    if (record.launch?.hung) problem(record, `the launch hung (${record.launch.ms} ms)`);
    if (record.callback?.hung) problem(record, `the callback hung (${record.callback.ms} ms)`);

    const launch = record.launch;
    const byRequest = launch?.requestId ? (launchesOfRequest.get(launch.requestId) ?? []) : [];
    if (byRequest.length > 1) {
      duplicates++;
      problem(record, `${byRequest.length} rows for one launch request`);
    }
    if (launch?.status !== 302) {
      // Refused before the redirect: the page names a code, and no row was written.
      if (launch?.status && !EXPECTED_LAUNCH_CODES.has(launch.code ?? '')) {
        problem(record, `launch answered ${launch.status} ${launch.code}`);
      }
      if (byRequest.length > 0) problem(record, 'a refused launch left a row');
      continue;
    }
    const id = record.state ? launchOfState.get(sha256(record.state)) : undefined;
    const row = id ? before.get(id) : undefined;
    if (!id || !row) {
      lost++;
      problem(record, 'redirected to the EHR, but no launch row holds its state');
      continue;
    }
    if (byRequest[0] !== id) problem(record, 'the state and the launch request name different rows');
    claimed.set(id, (claimed.get(id) ?? 0) + 1);
    if ((claimed.get(id) ?? 0) > 1) {
      duplicates++;
      problem(record, `row ${id} claimed twice`);
    }

    const callback = record.callback;
    if (callback?.status === 302) {
      if (record.mbLaunch !== id) problem(record, `mb_launch ${record.mbLaunch} is not row ${id}`);
      if (row.status !== 'ready') problem(record, `redirected to the app, but the row is ${row.status}`);
    } else if (callback?.status) {
      if (!EXPECTED_CALLBACK_CODES.has(callback.code ?? '')) {
        problem(record, `callback answered ${callback.status} ${callback.code}`);
      }
      if (callback.code === 'token_exchange_failed' && row.error_code !== callback.code) {
        problem(record, `the page said ${callback.code}, the row is ${row.status}/${row.error_code}`);
      }
    }
  }

  // Rows no answer named: the launch request reached a process that died before answering.
  const unanswered = rows.filter((row) => !claimed.has(row.id));
  const unansweredLaunches = records.filter((record) => record.launch && record.launch.status === null);
  if (unanswered.length > unansweredLaunches.length) {
    problem(
      null,
      `${unanswered.length} rows no launch accounts for (${unansweredLaunches.length} unanswered)`,
    );
  }

  // The state's life (ten minutes) passes; the sweeper ends what is still pending.
  await sweepLaunches(db, { maxSessionAgeSeconds: 43_200 }, new Date(Date.now() + 11 * 60_000));
  const after = await db
    .selectFrom('ehr_launch')
    .select(['id', 'status', 'error_code', 'end_reason'])
    .execute();
  const failed: Record<string, number> = {};
  let ready = 0;
  let stillPending = 0;
  for (const row of after) {
    const was = before.get(row.id);
    if (row.status === 'pending') {
      stillPending++;
      problem(null, `row ${row.id} still pending after its state's life`);
    } else if (was?.status === 'ready') {
      ready++;
    } else if (row.status === 'failed') {
      if (!row.error_code) problem(null, `row ${row.id} failed without a reason`);
      bump(failed, row.error_code ?? 'no_reason');
    } else if (row.status === 'expired' && row.end_reason === 'launch_abandoned') {
      bump(failed, 'launch_abandoned');
    } else {
      problem(null, `row ${row.id} ended ${row.status}/${row.end_reason}`);
    }
  }
  const callbacks: Record<string, number> = {};
  for (const record of records) {
    if (record.callback) {
      bump(callbacks, record.callback.status === 302 ? '302' : (record.callback.code ?? 'no_answer'));
    }
    if (record.launch?.status !== 302) {
      const code = record.launch?.code ?? (record.launch?.hung ? 'hung' : 'no_answer');
      bump(failed, `refused:${code}`);
    }
  }
  return {
    tally: {
      started: records.length,
      ready,
      failed,
      stillPending,
      duplicates,
      lost,
      unanswered: unanswered.length,
      hangs,
      driverRetries: records.reduce((sum, record) => sum + record.driverRetries, 0),
      callbacks,
    },
    problems,
  };
}
