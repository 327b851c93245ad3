/**
 * Fetching a client's JSON Web Key Set URL and judging what came back. One function for both the
 * token endpoint (client assertions, client-jwks.ts) and Cerner Central's **Test** button, so the
 * button reports exactly what would make an assertion fail. Every fetch has a timeout, does not
 * follow redirects and reads at most 512 KiB.
 */
import type { JWK } from 'jose';

const MAX_JWKS_BYTES = 512 * 1024;

/** Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export type JwksProblem = 'unreachable' | 'http_status' | 'not_json' | 'no_keys' | 'private_key';

/** One key as the Test button lists it. */
export interface KeySummary {
  kid: string | null;
  alg: string | null;
  kty: string | null;
}

export type JwksFetchResult =
  | { ok: true; keys: JWK[] }
  | { ok: false; problem: JwksProblem; message: string };

function failure(problem: JwksProblem, message: string): JwksFetchResult {
  return { ok: false, problem, message };
}

/** Why a fetch failed, in a developer's words: "connection refused", "timed out", … */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if ((error as Error).name === 'TimeoutError') return 'no answer in time';
  return cause?.message ?? (error as Error).message;
}

/** The keys that publish private key material (by kid, or their position when they have none). */
export function privateKeysIn(keys: readonly JWK[]): string[] {
  return keys.flatMap((key, index) =>
    PRIVATE_MEMBERS.some((member) => (key as Record<string, unknown>)[member] !== undefined)
      ? [key.kid ?? `#${index + 1}`]
      : [],
  );
}

/** Judges a JWKS document's text: JSON, a non-empty `keys` array, public keys only. */
export function judgeJwksText(url: string, text: string): JwksFetchResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return failure('not_json', `The answer from ${url} is not JSON.`);
  }
  const raw = (parsed as { keys?: unknown } | null)?.keys;
  const keys = Array.isArray(raw)
    ? raw.filter((key): key is JWK => typeof key === 'object' && key !== null && !Array.isArray(key))
    : [];
  if (keys.length === 0)
    return failure('no_keys', `The key set at ${url} has no keys ("keys" is missing or empty).`);
  const exposed = privateKeysIn(keys);
  if (exposed.length > 0) {
    return failure(
      'private_key',
      `The key set at ${url} publishes private key material (key ${exposed.join(', ')}). Publish public keys only, and replace the exposed keys.`,
    );
  }
  return { ok: true, keys };
}

/** GETs a JWKS URL and judges the answer. Never throws. */
export async function fetchJwks(url: string, timeoutMs: number): Promise<JwksFetchResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return failure('unreachable', `Could not reach ${url}: ${reasonOf(error)}.`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return failure('http_status', `${url} answered HTTP ${response.status}, not 200 with a key set.`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return failure('unreachable', `Could not read the answer from ${url}: ${reasonOf(error)}.`);
  }
  if (text.length > MAX_JWKS_BYTES)
    return failure('not_json', `The answer from ${url} is too large for a key set.`);
  return judgeJwksText(url, text);
}

export function summarizeKeys(keys: readonly JWK[]): KeySummary[] {
  return keys.map((key) => ({ kid: key.kid ?? null, alg: key.alg ?? null, kty: key.kty ?? null }));
}
