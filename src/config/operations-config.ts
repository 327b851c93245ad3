/**
 * Webhook delivery and metrics settings (see {@link OperationsSettings}); part of Config.
 */
import { ConfigError } from './config-error.ts';

export interface WebhookSettings {
  /**
   * How often each process looks for due webhook deliveries (`CHARTSIDE_WEBHOOK_POLL_MS`,
   * default 1000; 0 = this process delivers none). Events wait at most about this long.
   */
  readonly pollMs: number;
  /** One delivery, body included, is aborted after this long (`CHARTSIDE_WEBHOOK_TIMEOUT_MS`, 10000). */
  readonly timeoutMs: number;
  /**
   * Attempts before a delivery is `failed` (`CHARTSIDE_WEBHOOK_MAX_ATTEMPTS`, default 12: with the
   * default delays about 14 hours of retries).
   */
  readonly maxAttempts: number;
  /** Delay after the first failure, doubled each time (`CHARTSIDE_WEBHOOK_RETRY_BASE_MS`, 30000). */
  readonly retryBaseMs: number;
  /** The longest delay between two attempts (`CHARTSIDE_WEBHOOK_RETRY_MAX_MS`, 21600000 = 6 h). */
  readonly retryMaxMs: number;
}

export interface MetricsSettings {
  /**
   * `GET /metrics` on the main port needs `Authorization: Bearer <token>`
   * (`CHARTSIDE_METRICS_TOKEN`, at least 16 characters; unset: not served there).
   */
  readonly token: string | null;
  /**
   * Serve `/metrics` on this port instead, and not on the main one (`CHARTSIDE_METRICS_PORT`;
   * unset: none). Recommendation: a port only the Prometheus network reaches.
   */
  readonly port: number | null;
}

export interface OperationsSettings {
  readonly webhooks: WebhookSettings;
  readonly metrics: MetricsSettings;
}

export function operationsSettings(
  env: NodeJS.ProcessEnv,
  mode: string,
  mainPort: number,
): OperationsSettings {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`);
    return n;
  };
  const token = env.CHARTSIDE_METRICS_TOKEN || null;
  if (token !== null && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError('CHARTSIDE_METRICS_TOKEN must be at least 16 characters without spaces');
  }
  const port = env.CHARTSIDE_METRICS_PORT ? int('CHARTSIDE_METRICS_PORT', 0, 1, 65_535) : null;
  if (port !== null && port === mainPort) {
    throw new ConfigError('CHARTSIDE_METRICS_PORT must differ from PORT');
  }
  return {
    webhooks: Object.freeze({
      pollMs: int('CHARTSIDE_WEBHOOK_POLL_MS', 1000, 0, 60_000),
      timeoutMs: int('CHARTSIDE_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      maxAttempts: int('CHARTSIDE_WEBHOOK_MAX_ATTEMPTS', 12, 1, 50),
      // Tests retry within a second; anywhere else at least a second apart.
      retryBaseMs: int('CHARTSIDE_WEBHOOK_RETRY_BASE_MS', 30_000, mode === 'test' ? 10 : 1000, 3_600_000),
      retryMaxMs: int('CHARTSIDE_WEBHOOK_RETRY_MAX_MS', 21_600_000, 10, 86_400_000),
    }),
    metrics: Object.freeze({ token, port }),
  };
}
