/**
 * "The database is not there right now" — a PostgreSQL restart, failover or network cut — as
 * opposed to a bug in a statement. Such requests answer 503 `database_unavailable` (worth a retry)
 * instead of 500. Recognized by the SQLSTATE class (08 connection exception; 57P01–57P03 the
 * server shutting down or starting up, https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * or, for connections pg itself saw drop or refused, by the socket error or pg's message.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03']);
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
const DROPPED_CONNECTION = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    if (SOCKET_ERRORS.has(code) && (error as { syscall?: unknown }).syscall !== undefined) return true;
  }
  // pg reports a connection it saw drop with a plain Error (no code).
  return code === undefined && DROPPED_CONNECTION.some((text) => error.message.startsWith(text));
}
