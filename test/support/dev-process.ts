/**
 * `chartside dev` (= `npm start`) as a child process on free ports and a data folder of the
 * test's choosing, read back from what it prints: the tests for the README's first run and the
 * browser walk of the whole guide start Chartside exactly as a new user does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

const bin = fileURLToPath(new URL('../../bin/chartside.js', import.meta.url));

export interface DevProcess {
  readonly process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  readonly output: () => string;
  /** What `npm start` printed, by its labels. */
  readonly printed: DevPrintout;
  readonly ports: DevPorts;
  stop(): Promise<void>;
}

export interface DevPorts {
  gateway: number;
  sandbox: number;
  cdsExample: number;
  exampleApp: number;
}

export interface DevPrintout {
  /** The first URL printed, after "Open this:". */
  openThis: string;
  codeConsole: string;
  demoApp: string;
  adminEmail: string;
  adminPassword: string;
  organization: string;
  apiKey: string;
  /** The example app's launch URL (examples/notes-app). */
  exampleApp: string;
  /** The printed command that makes launches land in the example app. */
  switchToExampleApp: string;
}

function labelled(output: string, label: string): string {
  const match = new RegExp(`^\\s*${label}\\s+(\\S+)`, 'm').exec(output);
  if (!match) throw new Error(`chartside dev printed no "${label}":\n${output}`);
  return match[1] as string;
}

export function readPrintout(output: string): DevPrintout {
  const open = /Open this:\s*\n\s*\n?\s*(\S+)/.exec(output);
  if (!open) throw new Error(`chartside dev printed no "Open this:" URL:\n${output}`);
  return {
    openThis: open[1] as string,
    codeConsole: labelled(output, 'Code Console'),
    demoApp: labelled(output, 'Demo app'),
    adminEmail: labelled(output, 'email'),
    adminPassword: labelled(output, 'password'),
    organization: labelled(output, 'Organization'),
    apiKey: labelled(output, 'API key'),
    exampleApp: labelled(output, 'Example app'),
    switchToExampleApp: /^\s*switch to it\s+(.+)$/m.exec(output)?.[1]?.trim() ?? '',
  };
}

export async function freeDevPorts(): Promise<DevPorts> {
  return {
    gateway: await freePort(),
    sandbox: await freePort(),
    cdsExample: await freePort(),
    exampleApp: await freePort(),
  };
}

/** Starts `chartside dev` with `dataDir` and waits until it has printed its URLs. */
export async function startDev(
  dataDir: string,
  ports?: DevPorts,
  env: NodeJS.ProcessEnv = {},
): Promise<DevProcess> {
  const chosen = ports ?? (await freeDevPorts());
  const child = spawn(process.execPath, [bin, 'dev'], {
    env: {
      PATH: process.env.PATH,
      CHARTSIDE_DATA_DIR: dataDir,
      PORT: String(chosen.gateway),
      SANDBOX_PORT: String(chosen.sandbox),
      CDS_EXAMPLE_PORT: String(chosen.cdsExample),
      EXAMPLE_APP_PORT: String(chosen.exampleApp),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += String(chunk);
  });
  const deadline = Date.now() + 60_000;
  while (!/Resolve the handle your app receives/.test(output)) {
    if (child.exitCode !== null) throw new Error(`chartside dev exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`chartside dev did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    process: child,
    output: () => output,
    printed: readPrintout(output),
    ports: chosen,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
