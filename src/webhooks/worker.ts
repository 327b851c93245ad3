/**
 * The delivery worker, one per gateway process: every `pollMs` it claims due outbox rows under a
 * lease (deliveries.ts), POSTs each signed body to its endpoint through the one outbound wrapper
 * with the gateway mode's address policy and a timeout (no redirects followed), and records the
 * result: delivered, tried again later with backoff (retry.ts), or `failed` when out of attempts.
 *
 * At least once: a process that dies mid-delivery leaves its rows leased; once the lease runs out
 * any process sends them again, with the same `webhook-id`. Closing the app aborts what is in
 * flight and hands those rows back at once.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Sealer } from '../crypto/sealing.ts';
import type { Db } from '../db/index.ts';
import { ChartsideError } from '../errors/catalogue.ts';
import { OutboundError, type OutboundHttp } from '../http/outbound.ts';
import { urlPolicyForMode } from '../http/url-policy.ts';
import { summarizeError } from '../logging.ts';
import type { Services } from '../services.ts';
import {
  type AttemptResult,
  type ClaimedDelivery,
  claimDueDeliveries,
  type DeliveryStatus,
  deleteOldDeliveries,
  recordAttempt,
  releaseDelivery,
} from './deliveries.ts';
import { endpointForDelivery } from './endpoints.ts';
import { payloadOf } from './events.ts';
import { nextAttemptAt } from './retry.ts';
import { signWebhook } from './signing.ts';

/** How often a process deletes deliveries past their retention (deliveries.ts). */
const CLEANUP_EVERY_MS = 10 * 60_000;
/** Rows claimed at once; a full batch is followed by the next one without waiting. */
const BATCH = 16;
/**
 * A claimed row stays ours this long: twice the delivery timeout plus a second (database round
 * trips, clock jitter between hosts). A process that died holding it frees it after that.
 */
const leaseMsFor = (timeoutMs: number) => 2 * timeoutMs + 1000;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface WorkerDeps {
  readonly db: Db;
  readonly sealer: Sealer;
  readonly http: OutboundHttp;
  readonly config: Pick<Config, 'mode' | 'allowPrivateUpstreams' | 'webhooks'>;
  readonly log: FastifyBaseLogger;
  /** Told each attempt's outcome (the metrics). */
  readonly onAttempt?: (eventType: string, outcome: DeliveryOutcome) => void;
  readonly clock?: () => number;
}

export interface WebhookWorker {
  /** Claim and deliver one batch now; resolves to how many rows it took. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startWebhookWorker(deps: WorkerDeps, options: { poll?: boolean } = {}): WebhookWorker {
  const { db, config, log } = deps;
  const settings = config.webhooks;
  const clock = deps.clock ?? Date.now;
  const holder = randomUUID();
  const policy = urlPolicyForMode(config.mode, config.allowPrivateUpstreams);
  const retries = {
    baseMs: settings.retryBaseMs,
    maxMs: settings.retryMaxMs,
    maxAttempts: settings.maxAttempts,
  };
  const aborts = new AbortController();
  let stopped = false;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | undefined;

  async function attempt(delivery: ClaimedDelivery): Promise<AttemptResult> {
    const endpoint = await endpointForDelivery(db, deps.sealer, delivery.endpoint_id);
    if (!endpoint) return { delivered: false, status: null, error: 'endpoint removed' };
    const body = payloadOf(delivery);
    const signed = signWebhook(endpoint.secret, delivery.message_id, Math.floor(clock() / 1000), body);
    try {
      const response = await deps.http.fetch(endpoint.url, {
        method: 'POST',
        headers: { ...signed, 'content-type': 'application/json' },
        body,
        policy,
        timeoutMs: settings.timeoutMs,
        signal: aborts.signal,
      });
      await response.body?.cancel().catch(() => {});
      // Standard Webhooks: any 2xx is a success; anything else (3xx included) is tried again.
      if (response.status >= 200 && response.status < 300)
        return { delivered: true, status: response.status };
      return { delivered: false, status: response.status, error: `status ${response.status}` };
    } catch (error) {
      return { delivered: false, status: null, error: failureReason(error) };
    }
  }

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    const result = await attempt(delivery);
    if (stopped && !result.delivered) {
      await releaseDelivery(db, delivery, holder);
      return;
    }
    const next = result.delivered ? null : nextAttemptAt(delivery.attempts, retries, clock());
    const status = await recordAttempt(db, delivery, holder, result, next, clock());
    deps.onAttempt?.(delivery.event_type, outcomeOf(status));
    if (!result.delivered) {
      log.warn(
        {
          webhook: {
            endpoint: delivery.endpoint_id,
            message: delivery.message_id,
            attempt: delivery.attempts,
          },
          reason: result.error,
          next,
        },
        'webhook delivery failed',
      );
    }
  }

  let lastCleanup = 0;
  async function runBatch(): Promise<number> {
    if (clock() - lastCleanup > CLEANUP_EVERY_MS) {
      lastCleanup = clock();
      await deleteOldDeliveries(db, lastCleanup);
    }
    const claimed = await claimDueDeliveries(
      db,
      holder,
      { limit: BATCH, leaseMs: leaseMsFor(settings.timeoutMs) },
      clock(),
    );
    await Promise.all(claimed.map((delivery) => deliver(delivery)));
    return claimed.length;
  }

  function runOnce(): Promise<number> {
    running ??= runBatch().finally(() => {
      running = null;
    });
    return running;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().then(
        (taken) => schedule(taken === BATCH ? 0 : settings.pollMs),
        (error: unknown) => {
          log.error({ err: summarizeError(error) }, 'webhook delivery run failed');
          schedule(settings.pollMs);
        },
      );
    }, delayMs);
    timer.unref();
  }

  if (options.poll !== false && settings.pollMs > 0) schedule(Math.floor(Math.random() * settings.pollMs));

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      aborts.abort();
      await running?.catch(() => {});
    },
  };
}

function outcomeOf(status: DeliveryStatus): DeliveryOutcome {
  return status === 'delivered' ? 'delivered' : status === 'failed' ? 'failed' : 'retry';
}

/** A short, stable reason for the console (never the endpoint's body or a secret). */
function failureReason(error: unknown): string {
  if (error instanceof OutboundError) return error.kind;
  if (error instanceof ChartsideError)
    return error.code === 'insecure_endpoint' ? 'insecure_url' : 'not_allowed';
  return 'network';
}

/** Deliver while the app is up (unless `CHARTSIDE_WEBHOOK_POLL_MS` is 0); stop when it closes. */
export function installWebhookWorker(app: FastifyInstance, services: Services): void {
  if (services.config.webhooks.pollMs === 0) return;
  const worker = startWebhookWorker({
    ...services,
    log: app.log,
    onAttempt: (event, outcome) => services.metrics.webhookAttempt(event, outcome),
  });
  // Registered after the database's own onClose hook, so it runs before it (Fastify runs them last first).
  app.addHook('onClose', () => worker.stop());
}
