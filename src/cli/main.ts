/** The `chartside` process: the command line (cli.ts) on this process's streams. */
import { runCli } from './cli.ts';
import { processIo } from './cli-io.ts';

const code = await runCli(process.argv.slice(2), processIo());
// Long-running commands return -1 and keep the process alive.
if (code >= 0) process.exitCode = code;
