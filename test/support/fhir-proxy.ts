/**
 * Helpers for FHIR proxy tests: calling the proxy as an app backend would, raw requests that no
 * client normalizes, the sandbox's token controls, and reading the audit trail.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { Db } from '../../src/db/index.ts';
import type { RunningSandbox } from '../../src/sandbox/index.ts';

export interface ProxyAnswer {
  response: Response;
  body: Record<string, unknown> | null;
}

/** `GET <gateway>/fhir/<launch>/<path>` with an API key; parses a JSON body when there is one. */
export async function proxyFetch(
  gatewayUrl: string,
  apiKey: string,
  launchId: string,
  path: string,
  init: RequestInit = {},
): Promise<ProxyAnswer> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${apiKey}`);
  const response = await fetch(`${gatewayUrl}/fhir/${launchId}/${path}`, { ...init, headers });
  const text = await response.text();
  return { response, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

/** A request whose target goes out byte for byte (fetch would normalize `..` away). */
export function rawGet(
  origin: string,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path: target, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function control(sandbox: RunningSandbox, method: string, path: string, body?: unknown) {
  const response = await fetch(`${sandbox.origin}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  assert.ok(response.ok, `${method} ${path} answered ${response.status}`);
  return response.status === 204 ? null : ((await response.json()) as Record<string, unknown>);
}

/** Requests per endpoint and per token grant type since the last clear (`refresh_token` = refresh calls). */
export async function sandboxCounts(sandbox: RunningSandbox): Promise<Record<string, number>> {
  const answer = await control(sandbox, 'GET', '/_test/requests');
  return (answer?.counts ?? {}) as Record<string, number>;
}

export function sandboxSettings(
  sandbox: RunningSandbox,
  settings: { access_token_lifetime_seconds?: number; rotate_refresh_tokens?: boolean },
) {
  return control(sandbox, 'PUT', '/_test/settings', settings);
}

export function revokeRefreshTokens(sandbox: RunningSandbox, filter: { client_id?: string } = {}) {
  return control(sandbox, 'POST', '/_test/refresh-tokens/revoke', filter);
}

export function endEhrSessions(sandbox: RunningSandbox, username = 'portal') {
  return control(sandbox, 'POST', '/_test/sessions/end', { username });
}

/** Move the sandbox's clock: tokens it issued earlier expire there (their 401s follow). */
export function advanceSandboxClock(sandbox: RunningSandbox, seconds: number) {
  return control(sandbox, 'POST', '/_test/clock', { advance_seconds: seconds });
}

export function resetSandboxClock(sandbox: RunningSandbox) {
  return control(sandbox, 'DELETE', '/_test/clock');
}

/** The moment of expiry, as the gateway sees it: the stored expiry is now in the past. */
export async function expireStoredToken(db: Db, launchId: string): Promise<void> {
  await db
    .updateTable('ehr_launch')
    .set({ token_expires_at: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', launchId)
    .execute();
}

export interface AuditRow {
  action: string;
  actor: string;
  org_id: string | null;
  launch_id: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

export async function auditEvents(
  db: Db,
  filter: { launchId?: string; action?: string } = {},
): Promise<AuditRow[]> {
  let query = db.selectFrom('audit_event').selectAll().orderBy('id', 'asc');
  if (filter.launchId) query = query.where('launch_id', '=', filter.launchId);
  if (filter.action) query = query.where('action', '=', filter.action);
  return (await query.execute()).map((row) => ({
    action: row.action,
    actor: row.actor,
    org_id: row.org_id,
    launch_id: row.launch_id,
    request_id: row.request_id,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {},
  }));
}

/** Proxy audit rows are written once the response has gone out: wait for them briefly. */
export async function waitForAudit(
  db: Db,
  filter: { launchId?: string; action?: string },
  count: number,
  timeoutMs = 3000,
): Promise<AuditRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await auditEvents(db, filter);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface OutcomeIssue {
  severity: string;
  code: string;
  details: { coding: { system: string; code: string }[]; text: string };
  diagnostics: string;
}

/** The first issue of an OperationOutcome body (fails the test when there is none). */
export function firstIssue(body: Record<string, unknown> | null): OutcomeIssue {
  assert.equal(body?.resourceType, 'OperationOutcome', JSON.stringify(body));
  const issues = (body as { issue?: OutcomeIssue[] }).issue;
  assert.ok(issues?.[0], 'an issue');
  return issues[0];
}

/** The `fhir.request` audit row of one request, once written (undefined after the timeout). */
export async function auditOfRequest(db: Db, requestId: string | null, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await auditEvents(db, { action: 'fhir.request' });
    const row = rows.find((candidate) => candidate.request_id === requestId);
    if (row || Date.now() > deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
