/**
 * The gateway's Prometheus metrics: one registry per `buildApp` (never prom-client's global one),
 * so apps built side by side in one process (tests) count apart. Labels are bounded sets —
 * vendor, environment, catalogue error code, status class, hop, outcome — never an id or a URL.
 *
 * What the hot paths call is a plain method that adds to a series held since start-up
 * (series.ts): no label validation, hashing or allocation per request.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { WEBHOOK_EVENTS } from '../webhooks/events.ts';
import { SeriesCounter, SeriesHistogram } from './series.ts';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export type RefreshOutcome = 'refreshed' | 'error' | 'refused';
export type CdsCache = 'hit' | 'miss' | 'off';

/** A launch's labels: the source's vendor and the launch's environment. */
export interface LaunchLabels {
  readonly vendor: string;
  readonly environment: string;
}

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** The queries sent to the database so far (`openDatabase`'s `onQuery`), read at each scrape. */
export interface DatabaseQueries {
  readonly engine: 'sqlite' | 'postgres';
  count(): number;
}

export interface MetricsOptions {
  /** The PostgreSQL pool's counts (absent on SQLite). */
  readonly poolStats?: () => PoolStats;
  readonly databaseQueries?: DatabaseQueries;
  /** Process metrics (CPU, memory, event loop, GC): off in tests, which build many apps. */
  readonly processMetrics?: boolean;
}

const VENDORS = new Set(['cerner', 'epic', 'smart']);
const ENVIRONMENTS = new Set(['sandbox', 'production']);
const EVENTS = new Set<string>(WEBHOOK_EVENTS);

/** Values outside a known set become `other`, so a label can never take an unbounded value. */
const bounded = (value: string, known: ReadonlySet<string>) => (known.has(value) ? value : 'other');

export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}

const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Launch start to ready, the clinician's time at the EHR's sign-in included. */
const LAUNCH_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];

export type GatewayMetrics = ReturnType<typeof createMetrics>;

export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'chartside_' });
  const registers = [registry];

  const launchLabels = ['vendor', 'environment'] as const;
  const started = new SeriesCounter(
    'chartside_launches_started_total',
    'EHR launches started: the EHR opened the SMART Launch URI and was sent to its authorize endpoint.',
    launchLabels,
    registry,
  );
  const ready = new SeriesCounter(
    'chartside_launches_ready_total',
    'EHR launches that finished ready (tokens and context stored).',
    launchLabels,
    registry,
  );
  const failed = new Counter({
    name: 'chartside_launches_failed_total',
    help: 'EHR launches that failed at the callback, by error code.',
    labelNames: [...launchLabels, 'code'],
    registers,
  });
  const launchDuration = new SeriesHistogram(
    'chartside_launch_duration_seconds',
    'From the launch hop to the launch being ready, the clinician at the EHR included.',
    launchLabels,
    LAUNCH_BUCKETS,
    registry,
  );
  const hopDuration = new SeriesHistogram(
    'chartside_launch_hop_duration_seconds',
    'Time in one launch hop, split into the gateway share and the EHR share (the code exchange at the token endpoint).',
    ['hop', 'share'],
    LATENCY_BUCKETS,
    registry,
  );
  const refreshes = new Counter({
    name: 'chartside_token_refreshes_total',
    help: 'Token renewals at the EHR: refreshed, error (temporary, launch stays ready) or refused (launch ended).',
    labelNames: ['outcome'],
    registers,
  });
  const fhirRequests = new SeriesCounter(
    'chartside_fhir_requests_total',
    'FHIR proxy requests answered, by status class.',
    ['status_class'],
    registry,
  );
  const fhirDuration = new SeriesHistogram(
    'chartside_fhir_request_duration_seconds',
    'FHIR proxy requests, from arrival to the last byte sent, by status class.',
    ['status_class'],
    LATENCY_BUCKETS,
    registry,
  );
  const cdsInvocations = new Counter({
    name: 'chartside_cds_invocations_total',
    help: 'CDS Hooks service calls from the EHR, by answer cache (hit, miss, off) and status class.',
    labelNames: ['cache', 'status_class'],
    registers,
  });
  const webhookDeliveries = new Counter({
    name: 'chartside_webhook_deliveries_total',
    help: 'Webhook delivery attempts by event and outcome: delivered, retry (failed, tried again later) or failed (no attempt left).',
    labelNames: ['event', 'outcome'],
    registers,
  });
  const errors = new Counter({
    name: 'chartside_errors_total',
    help: 'Errors answered by the gateway, by catalogue code (database_unavailable: the database was not reachable).',
    labelNames: ['code'],
    registers,
  });
  const poolStats = options.poolStats;
  if (poolStats) {
    new Gauge({
      name: 'chartside_db_pool_connections',
      help: 'PostgreSQL pool connections: total open, idle, and queries waiting for one.',
      labelNames: ['state'],
      registers,
      collect() {
        const stats = poolStats();
        this.set({ state: 'total' }, stats.total);
        this.set({ state: 'idle' }, stats.idle);
        this.set({ state: 'waiting' }, stats.waiting);
      },
    });
  }

  const databaseQueries = options.databaseQueries;
  if (databaseQueries) {
    // The count is a plain number the database wrapper adds to; the counter takes it at scrape
    // time, so a query costs an increment and no label lookup.
    new Counter({
      name: 'chartside_db_queries_total',
      help: 'Queries sent to the database, begin and commit included: round trips on PostgreSQL, statements run on SQLite.',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        this.inc({ engine: databaseQueries.engine }, databaseQueries.count());
      },
    });
  }

  // The hot paths' series, made once (series.ts).
  const fhirCount = STATUS_CLASSES.map((c) => fhirRequests.series({ status_class: c }));
  const fhirTime = STATUS_CLASSES.map((c) => fhirDuration.series({ status_class: c }));
  const launchHop = {
    launch: hopDuration.series({ hop: 'launch', share: 'gateway' }),
    callbackGateway: hopDuration.series({ hop: 'callback', share: 'gateway' }),
    callbackEhr: hopDuration.series({ hop: 'callback', share: 'ehr' }),
  };
  const labelsOf = (launch: LaunchLabels) => ({
    vendor: bounded(launch.vendor, VENDORS),
    environment: bounded(launch.environment, ENVIRONMENTS),
  });
  // Per bounded vendor and environment: the launch counters' and duration's series.
  const launchSeries = new Map<string, ReturnType<typeof launchSeriesOf>>();
  const launchSeriesOf = (labels: ReturnType<typeof labelsOf>) => ({
    started: started.series(labels),
    ready: ready.series(labels),
    duration: launchDuration.series(labels),
  });
  const seriesFor = (launch: LaunchLabels) => {
    const key = `${launch.vendor}\u0000${launch.environment}`;
    let series = launchSeries.get(key);
    if (!series) {
      series = launchSeriesOf(labelsOf(launch));
      // Raw values are keys here; bounded to the known sets (and `other`), so this stays small.
      if (launchSeries.size < 64) launchSeries.set(key, series);
    }
    return series;
  };
  const classIndex = (status: number) => STATUS_CLASSES.indexOf(statusClass(status));

  return {
    registry,
    launchStarted(launch: LaunchLabels, gatewaySeconds: number) {
      seriesFor(launch).started.inc();
      launchHop.launch.observe(gatewaySeconds);
    },
    launchReady(
      launch: LaunchLabels,
      times: { sinceStartSeconds: number; gatewaySeconds: number; ehrSeconds: number },
    ) {
      const series = seriesFor(launch);
      series.ready.inc();
      series.duration.observe(Math.max(0, times.sinceStartSeconds));
      launchHop.callbackGateway.observe(times.gatewaySeconds);
      launchHop.callbackEhr.observe(times.ehrSeconds);
    },
    /** `code` is a catalogue code (`oauth_error`, `token_exchange_failed`). */
    launchFailed(launch: LaunchLabels, code: string) {
      failed.inc({ ...labelsOf(launch), code });
    },
    tokenRefresh(outcome: RefreshOutcome) {
      refreshes.inc({ outcome });
    },
    fhirRequest(status: number, seconds: number) {
      const index = classIndex(status);
      fhirCount[index]?.inc();
      fhirTime[index]?.observe(seconds);
    },
    cdsInvocation(cache: CdsCache, status: number) {
      cdsInvocations.inc({ cache, status_class: statusClass(status) });
    },
    webhookAttempt(event: string, outcome: 'delivered' | 'retry' | 'failed') {
      webhookDeliveries.inc({ event: bounded(event, EVENTS), outcome });
    },
    error(code: string) {
      errors.inc({ code });
    },
  };
}
