/**
 * Where a `chartside` command reads and writes: its environment, standard input, and the two
 * output streams. The command line passes the process's own (main.ts); tests run commands
 * in-process with their own, so most CLI tests need no child process.
 */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream;
  /** One result: a JSON object (`--json`) or text, printed on standard output. */
  print(text: string): void;
  /** One line of reason on standard error (bad input, failures). */
  printError(text: string): void;
}

/** The running process's environment and streams. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdin: process.stdin,
    print: (text) => console.log(text),
    printError: (text) => console.error(text),
  };
}
