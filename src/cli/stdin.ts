/**
 * Secrets given to the CLI come on standard input, not as flags: flags end up in shell history
 * and in `ps` for every user of the machine.
 */
import { CliUsageError } from './cli-errors.ts';

/** Reads at most this much (a password or a client secret, not a file). */
const MAX_STDIN_BYTES = 4096;

/** The first line of stdin, without its line ending. */
export async function readSecretLine(stdin: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_STDIN_BYTES) throw new CliUsageError(`standard input is too long for a ${what}`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.split(/\r?\n/)[0] ?? '';
}
