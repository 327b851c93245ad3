/**
 * `chartside doctor --org ID [--json]`: the go-live check (src/go-live/checks.ts) from the
 * command line, against this deployment's configuration and database. Exit 0 when every check
 * passes, 1 when one fails, 2 on bad input (missing --org, unknown org). Changes nothing.
 */
import { type GoLiveReport, runGoLiveChecks } from '../go-live/checks.ts';
import { createOutboundHttp } from '../http/outbound.ts';
import { loadKeyRing } from '../keys/key-ring.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, requiredOrg, runOnDatabase } from './command-runner.ts';

export async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, { org: { type: 'string' } });
  const orgId = requiredOrg(values);
  return runOnDatabase(io, values.json, async ({ db, sealer, config }) => {
    // Every call it makes is bounded by CHARTSIDE_HTTP_TIMEOUT_MS, as the gateway's are.
    const http = createOutboundHttp({ timeoutMs: config.outboundTimeoutMs });
    try {
      const keyRing = await loadKeyRing(db, sealer);
      const report = await runGoLiveChecks({ db, sealer, http, keyRing, config }, orgId);
      return { json: report, text: formatReport(report), exitCode: report.ok ? 0 : 1 };
    } finally {
      await http.close();
    }
  });
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
