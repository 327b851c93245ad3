/**
 * `chartside audit --org ID [--launch ID] [--since ISO] [--limit N] [--json]`: read an org's
 * audit trail, oldest first. `--json` prints one JSON object `{"events": [...]}`.
 */
import { type AuditEventView, type AuditFilter, readAuditTrail } from '../audit/audit-list.ts';
import { getOrganization } from '../settings/organizations.ts';
import { CliUsageError } from './cli-errors.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, requiredOrg, runOnDatabase } from './command-runner.ts';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;

export async function auditCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, {
    org: { type: 'string' },
    launch: { type: 'string' },
    since: { type: 'string' },
    limit: { type: 'string' },
  });
  const orgId = requiredOrg(values);
  const filter: AuditFilter = {
    orgId,
    launchId: values.launch,
    since: values.since === undefined ? undefined : parseSince(values.since),
    limit: values.limit === undefined ? DEFAULT_LIMIT : parseLimit(values.limit),
  };
  return runOnDatabase(io, values.json, async ({ db }) => {
    await getOrganization(db, orgId);
    const events = await readAuditTrail(db, filter);
    return {
      json: { events },
      text: events.length === 0 ? 'No audit events.' : events.map(formatEvent).join('\n'),
    };
  });
}

/** One line per event: when, what, who, which launch and request, then the details. */
export function formatEvent(event: AuditEventView): string {
  const facts = Object.entries(event.details ?? {})
    .filter(([, value]) => value !== null && value !== '')
    .map(
      ([name, value]) =>
        `${name}=${typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : value}`,
    );
  return [
    event.at,
    event.action,
    event.actor,
    event.launch_id ? `launch=${event.launch_id}` : null,
    event.request_id ? `request=${event.request_id}` : null,
    ...facts,
  ]
    .filter((part) => part !== null)
    .join('  ');
}

function parseSince(value: string): string {
  // A date or a date-time with a zone; compared against the stored ISO-8601 UTC instants.
  const ms = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new CliUsageError('--since must be an ISO-8601 date or date-time, e.g. 2026-06-01T00:00:00Z');
  return new Date(ms).toISOString();
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LIMIT) {
    throw new CliUsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return n;
}
