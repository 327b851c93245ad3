/**
 * `chartside doctor --org ID [--json]`: the go-live check (src/go-live/checks.ts) from the
 * command line, against this deployment's configuration and database. Exit 0 when every check
 * passes, 1 when one fails, 2 on bad input (missing --org, unknown org). Changes nothing.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { createSealer } from '../crypto/sealing.ts';
import { migrateToLatest, openDatabase } from '../db/index.ts';
import { type GoLiveReport, runGoLiveChecks } from '../go-live/checks.ts';
import { createOutboundHttp } from '../http/outbound.ts';
import { loadKeyRing } from '../keys/key-ring.ts';
import { CliUsageError } from './cli-errors.ts';

export async function doctorCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { org: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  if (!values.org) throw new CliUsageError('--org is required');

  const config = loadConfig(env);
  const database = openDatabase(config.databaseUrl, { poolSize: 1 });
  // Every call it makes is bounded by CHARTSIDE_HTTP_TIMEOUT_MS, as the gateway's are.
  const http = createOutboundHttp({ timeoutMs: config.outboundTimeoutMs });
  try {
    await migrateToLatest(database);
    const sealer = createSealer(config.masterKey);
    const keyRing = await loadKeyRing(database.db, sealer);
    const report = await runGoLiveChecks({ db: database.db, sealer, http, keyRing, config }, values.org);
    console.log(values.json ? JSON.stringify(report) : formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await http.close();
    await database.close();
  }
}

/** One line per check, then a summary. */
export function formatReport(report: GoLiveReport): string {
  const passed = report.checks.filter((check) => check.ok).length;
  const lines = report.checks.map((check) => `${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  lines.push(
    report.ok
      ? `All ${passed} checks pass: ready for production.`
      : `${passed} of ${report.checks.length} checks pass: not ready for production yet.`,
  );
  return lines.join('\n');
}
