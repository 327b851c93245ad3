import { loadConfig } from '../config/index.ts';
import { runSandboxCommand } from '../sandbox/main.ts';
import { closeOnSignals, startGateway } from '../server.ts';

/** `chartside serve`: the gateway alone. Returns -1: the process keeps running. */
export async function runServe(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  const gateway = await startGateway(config);
  closeOnSignals(() => gateway.close());
  return -1;
}

/** `chartside sandbox`: the local Cerner sandbox alone. */
export async function runSandbox(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const sandbox = await runSandboxCommand(argv, env);
  closeOnSignals(() => sandbox.close());
  return -1;
}
