/**
 * A webhook endpoint for tests: a local HTTP server that records every POST (headers and raw
 * body) and answers with the status the test chooses for it (or holds it unanswered).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** The status of the n-th request (0-based); 'hold' never answers. Default 204. */
  answer: (n: number) => number | 'hold';
  /** Resolves once `count` requests matching `filter` arrived (or rejects after `timeoutMs`). */
  waitFor(
    count: number,
    filter?: (hook: ReceivedWebhook) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const held: import('node:http').ServerResponse[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    answer: () => 204,
    async waitFor(count, filter = () => true, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`${matching.length} of ${count} webhooks arrived`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const n = received.length;
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const status = receiver.answer(n);
      if (status === 'hold') {
        held.push(response);
        return;
      }
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, { url: `http://127.0.0.1:${port}/hooks/chartside` });
}

/**
 * Standard Webhooks verification written here from the spec, not with the gateway's own code:
 * HMAC-SHA256 keyed with the base64 part of `whsec_…`, over `id.timestamp.body`.
 */
export function signatureIsValid(secret: string, hook: ReceivedWebhook): boolean {
  const id = String(hook.headers['webhook-id']);
  const timestamp = String(hook.headers['webhook-timestamp']);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${hook.body}`).digest();
  return String(hook.headers['webhook-signature'])
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .some((part) => {
      const presented = Buffer.from(part.slice(3), 'base64');
      return presented.length === expected.length && timingSafeEqual(presented, expected);
    });
}
