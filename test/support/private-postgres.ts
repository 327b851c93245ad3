/**
 * A PostgreSQL cluster of the test's own (initdb into a temp folder, pg_ctl on a free port), for
 * tests that restart the database: the machine's shared PostgreSQL serves other tests meanwhile
 * and must never be restarted. PostgreSQL refuses to run as root, so as root the cluster belongs
 * to the `postgres` user and its commands run through `runuser`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m fast`: every connection is cut, then the server comes back. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder, or null (the caller skips with a diagnostic). */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

export async function startPrivatePostgres(binDir: string): Promise<PrivatePostgres> {
  const asRoot = process.getuid?.() === 0;
  const folder = mkdtempSync(join(tmpdir(), 'chartside-pg-'));
  const dataDir = join(folder, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(folder, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(folder, 0o700);
  }
  const pg = (tool: string, args: string[]) => {
    const command = join(binDir, tool);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  };
  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // fsync off: the data is thrown away, and a fast restart is what the test is about.
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const log = join(folder, 'postgres.log');
  const start = () => pg('pg_ctl', ['-D', dataDir, '-l', log, '-o', options, '-w', '-t', '30', 'start']);
  await start();
  let running = true;
  // A test process that is killed (a timeout, ^C) must not leave its cluster running: on 'exit'
  // only synchronous work runs, hence execFileSync. Signals reach 'exit' via process.exit.
  const stopNow = () => {
    if (!running) return;
    running = false;
    const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    const command = join(binDir, 'pg_ctl');
    try {
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' });
      else execFileSync(command, args, { stdio: 'ignore' });
    } catch {}
    rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart() {
      await pg('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        log,
        '-o',
        options,
        '-m',
        'fast',
        '-w',
        '-t',
        '30',
        'restart',
      ]);
    },
    async stop() {
      process.off('exit', stopNow);
      stopNow();
    },
  };
}
