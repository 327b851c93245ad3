/**
 * The example app (`examples/notes-app`, an app built on `@chartside/client`), which `chartside
 * dev` starts on its own port so a launch from the sandbox can end in a real app instead of
 * `/launch-debug`. Like any app's backend it talks to the gateway over HTTP with an API key.
 * It lives in the repository only: an installed package has no examples, and nothing starts.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ExampleApp {
  readonly url: string;
  /** What to set as the App launch URL to land there. */
  readonly launchUrl: string;
  close(): Promise<void>;
}

export interface ExampleAppOptions {
  readonly port: number;
  readonly host: string;
  readonly gatewayUrl: string;
  readonly apiKey: string;
}

const SERVER = fileURLToPath(new URL('../../examples/notes-app/server.ts', import.meta.url));

/** The app's launch URL for a port, as the dev seed and the printout name it. */
export function exampleAppLaunchUrl(port: number): string {
  return `http://localhost:${port}/launch`;
}

/** Starts the example app, or answers why it did not (no examples here, the port is taken). */
export async function startExampleApp(
  options: ExampleAppOptions,
): Promise<ExampleApp | { notStarted: string }> {
  if (!existsSync(SERVER)) return { notStarted: 'examples/notes-app is not in this installation' };
  // A path computed at run time: the gateway's build (src/ only) does not compile the example.
  const module = (await import(pathToFileURL(SERVER).href)) as {
    startNotesApp(options: ExampleAppOptions): Promise<ExampleApp>;
  };
  try {
    return await module.startNotesApp(options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      return { notStarted: `port ${options.port} is in use (set EXAMPLE_APP_PORT)` };
    }
    throw error;
  }
}
