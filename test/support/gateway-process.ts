/**
 * `chartside serve` as a child process, as in production behind a load balancer: for the tests
 * that need several gateway processes on one database.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/chartside.js', import.meta.url));
/** Every process started, so that stopping them all works even when one failed to come up. */
const spawned: ChildProcess[] = [];

export interface GatewayProcess {
  url: string;
  process: ChildProcess;
  output: string[];
}

/**
 * Start a gateway on `port` and wait until `/health` answers. PUBLIC_URL is the process's own
 * URL unless `env` sets one (several processes behind one public URL).
 */
export async function startGatewayProcess(env: NodeJS.ProcessEnv, port: number): Promise<GatewayProcess> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [bin, 'serve'], {
    env: { PUBLIC_URL: url, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.push(child);
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => output.push(String(chunk)));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway on ${port} exited: ${output.join('')}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { url, process: child, output };
    if (Date.now() > deadline) throw new Error(`gateway on ${port} did not start: ${output.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SIGTERM every gateway process started so far and wait for them to exit. */
export async function stopGatewayProcesses(): Promise<void> {
  await Promise.all(
    spawned.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }),
  );
}
