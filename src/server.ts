/** Listen and shut down gracefully. The app itself is built by buildApp (app.ts). */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config/index.ts';

export interface RunningGateway {
  readonly app: FastifyInstance;
  readonly url: string;
  close(): Promise<void>;
}

export async function startGateway(config: Config): Promise<RunningGateway> {
  const app = await buildApp(config);
  const address = await app.listen({ host: config.host, port: config.port });
  return { app, url: address, close: () => app.close() };
}

/** Close on SIGINT/SIGTERM: stop accepting, finish in-flight requests, close the database. */
export function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    close().then(
      () => process.exit(signal === 'SIGINT' ? 130 : 0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}
