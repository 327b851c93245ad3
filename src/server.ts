/** Listen and shut down gracefully. The app itself is built by buildApp (app.ts). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config/index.ts';

/** Past the drain and the in-flight timeout, how long closing the pool and the sweeper may take. */
const CLOSE_MARGIN_MS = 5000;
/** While closing, connections that finished their last request are closed this often. */
const IDLE_SWEEP_MS = 100;

export interface RunningGateway {
  readonly app: FastifyInstance;
  readonly url: string;
  /**
   * Graceful shutdown: `/readyz` answers 503 `shutting_down` at once; requests are still served
   * for `shutdownDrainMs`; then the process stops accepting, in-flight requests get
   * `shutdownTimeoutMs` to finish, keep-alive connections are closed, and the sweeper and the
   * database pool stop. Calling it twice returns the same promise.
   */
  close(): Promise<void>;
  /** The longest close() should take; past it, {@link closeOnSignals} exits anyway. */
  readonly closeBudgetMs: number;
}

export async function startGateway(config: Config): Promise<RunningGateway> {
  const app = await buildApp(config);
  const address = await app.listen({ host: config.host, port: config.port });
  // Widening the SSRF guard is deliberate and should be visible: once, with the listen line.
  const { cidrs } = config.allowPrivateUpstreams;
  if (cidrs.length > 0) {
    app.log.info(
      { ranges: cidrs },
      'production sources may reach these private ranges (CHARTSIDE_ALLOW_PRIVATE_UPSTREAMS)',
    );
  }
  let closing: Promise<void> | undefined;
  return {
    app,
    url: address,
    close: () => {
      closing ??= shutDown(app, config);
      return closing;
    },
    closeBudgetMs: config.shutdownDrainMs + config.shutdownTimeoutMs + CLOSE_MARGIN_MS,
  };
}

async function shutDown(
  app: FastifyInstance,
  { shutdownDrainMs, shutdownTimeoutMs }: Pick<Config, 'shutdownDrainMs' | 'shutdownTimeoutMs'>,
): Promise<void> {
  // A load balancer sees 503 on its next probe and stops routing here; until it has, requests
  // keep arriving and are served as usual (stopping to listen now would refuse them).
  app.readiness.startShuttingDown();
  app.log.info({ drainMs: shutdownDrainMs, timeoutMs: shutdownTimeoutMs }, 'shutting down');
  if (shutdownDrainMs > 0) await sleep(shutdownDrainMs);

  // Fastify stops accepting and closes idle keep-alive connections once; a connection whose
  // request finishes later would otherwise stay open until its keep-alive timeout (72 s).
  const idleSweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
  const deadline = setTimeout(() => {
    app.log.warn(
      { timeoutMs: shutdownTimeoutMs },
      'shutdown timeout: closing connections with requests in flight',
    );
    app.server.closeAllConnections();
  }, shutdownTimeoutMs);
  try {
    await app.close(); // then the onClose hooks: outbound pool, sweeper, database pool
  } finally {
    clearInterval(idleSweep);
    clearTimeout(deadline);
  }
  app.log.info('shut down');
}

/**
 * Close on SIGINT/SIGTERM and exit (0 after SIGTERM, 130 after SIGINT). A close that takes longer
 * than `forceExitAfterMs`, or fails, exits 1.
 */
export function closeOnSignals(
  close: () => Promise<void>,
  options: { forceExitAfterMs?: number } = {},
): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(1), options.forceExitAfterMs ?? 10_000);
    timer.unref();
    close().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
