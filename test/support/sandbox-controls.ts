/** The sandbox's /_test/* controls, over HTTP as any client would use them. */
import assert from 'node:assert/strict';
import type { RunningSandbox } from '../../src/sandbox/index.ts';

export interface SandboxLaunch {
  iss: string;
  launch: string;
  launch_url: string;
  session_cookie: string;
}

export interface RecordedRequest {
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  form: Record<string, string> | null;
}

export async function sandboxLaunch(
  sandbox: RunningSandbox,
  clientId: string,
  context: { patient?: string; encounter?: string; need_patient_banner?: boolean } = {},
): Promise<SandboxLaunch> {
  const response = await fetch(`${sandbox.origin}/_test/launch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, patient: '12724066', encounter: '97953477', ...context }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as SandboxLaunch;
}

export async function setFaults(
  sandbox: RunningSandbox,
  faults: Record<string, string | null>,
): Promise<void> {
  const response = await fetch(`${sandbox.origin}/_test/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  assert.ok(response.ok, `setting faults failed: ${response.status}`);
}

export async function recordedRequests(
  sandbox: RunningSandbox,
  endpoint?: string,
): Promise<RecordedRequest[]> {
  const response = await fetch(`${sandbox.origin}/_test/requests`);
  const { requests } = (await response.json()) as { requests: RecordedRequest[] };
  return endpoint ? requests.filter((r) => r.endpoint === endpoint) : requests;
}

export async function clearRecordedRequests(sandbox: RunningSandbox): Promise<void> {
  await fetch(`${sandbox.origin}/_test/requests`, { method: 'DELETE' });
}

export async function clearFaults(sandbox: RunningSandbox): Promise<void> {
  const response = await fetch(`${sandbox.origin}/_test/faults`, { method: 'DELETE' });
  assert.ok(response.ok, `clearing faults failed: ${response.status}`);
}
