import { loadConfig } from '../config/index.ts';
import { runSandboxCommand, sandboxOptionsFrom } from '../sandbox/main.ts';
import { closeOnSignals, startGateway } from '../server.ts';
import { CliUsageError } from './cli-errors.ts';

/** `chartside serve`: the gateway alone. Returns -1: the process keeps running. */
export async function runServe(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  const gateway = await startGateway(config);
  closeOnSignals(() => gateway.close(), { forceExitAfterMs: gateway.closeBudgetMs });
  return -1;
}

/** `chartside sandbox`: the local Cerner sandbox alone. */
export async function runSandbox(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    sandboxOptionsFrom(argv, env);
  } catch (error) {
    // Bad flags or config file: exit 2 with the sandbox's one-line reason.
    throw new CliUsageError((error as Error).message);
  }
  const sandbox = await runSandboxCommand(argv, env);
  closeOnSignals(() => sandbox.close());
  return -1;
}
