/**
 * FHIR reads through the gateway while the EHR's FHIR server misbehaves. Every answer must be the
 * EHR's own (its data, or its error relayed with its status) or a clean error of ours (an
 * OperationOutcome with our code and the request id, 502 or 504) — never a 500 of ours, and
 * never an answer later than the timeout allows.
 */
import { FRONT_MARKER, MALFORMED_BODY } from '../support/fault-front.ts';

const OUR_CODES = 'urn:chartside:error-code';

export interface ProbeTally {
  /** How each answer was classified → count. */
  answers: Record<string, number>;
  problems: string[];
  slowestMs: number;
}

interface OutcomeBody {
  resourceType?: string;
  issue?: { details?: { coding?: { system?: string; code?: string }[] }; diagnostics?: string }[];
}

function classify(status: number, text: string, requestId: string | null): string | null {
  if (status === 200 && text === MALFORMED_BODY) return 'ehr_malformed_relayed';
  let body: OutcomeBody & { id?: string };
  try {
    body = JSON.parse(text) as OutcomeBody & { id?: string };
  } catch {
    return null;
  }
  if (status === 200 && body.resourceType === 'Patient') return 'ehr_data';
  const issue = body.issue?.[0];
  if ([500, 502, 503].includes(status) && issue?.diagnostics?.startsWith(FRONT_MARKER)) {
    return `ehr_${status}_relayed`;
  }
  const coding = issue?.details?.coding?.[0];
  if (
    (status === 502 || status === 504) &&
    body.resourceType === 'OperationOutcome' &&
    coding?.system === OUR_CODES &&
    requestId !== null &&
    issue?.diagnostics?.includes(requestId)
  ) {
    return `ours_${status}:${coding.code}`;
  }
  return null;
}

export async function probeFhir(options: {
  gatewayUrls: string[];
  apiKey: string;
  launchIds: string[];
  patient: string;
  probes: number;
  concurrency: number;
  /** An answer later than this is a hang. */
  maxMs: number;
}): Promise<ProbeTally> {
  const tally: ProbeTally = { answers: {}, problems: [], slowestMs: 0 };
  const count = (key: string) => {
    tally.answers[key] = (tally.answers[key] ?? 0) + 1;
  };
  let next = 0;
  const one = async (n: number) => {
    const gateway = options.gatewayUrls[n % options.gatewayUrls.length] as string;
    const launchId = options.launchIds[n % options.launchIds.length] as string;
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(`${gateway}/fhir/${launchId}/Patient/${options.patient}`, {
        headers: { authorization: `Bearer ${options.apiKey}` },
        signal: AbortSignal.timeout(options.maxMs),
      });
    } catch (error) {
      const hung = (error as Error).name === 'TimeoutError';
      count(hung ? 'hung' : 'no_answer');
      tally.problems.push(`probe #${n}: ${hung ? 'no answer in time' : (error as Error).message}`);
      return;
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      // The EHR cut its answer after the headers were relayed: the app sees the cut too.
      count('cut_mid_body');
      return;
    } finally {
      tally.slowestMs = Math.max(tally.slowestMs, Date.now() - started);
    }
    const kind = classify(response.status, text, response.headers.get('x-request-id'));
    count(kind ?? `unexpected_${response.status}`);
    if (!kind) tally.problems.push(`probe #${n}: ${response.status} ${text.slice(0, 200)}`);
  };
  const worker = async () => {
    while (next < options.probes) await one(next++);
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return tally;
}
