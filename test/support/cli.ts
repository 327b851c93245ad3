/**
 * Running `chartside` commands as outside scripts do. Most tests run the command line in this
 * process (`runChartside`: the same `runCli` the binary runs, with its own environment, standard
 * input and captured output), which is fast; `runChartsideProcess` starts the real binary for
 * what only a process shows (exit status, what reaches the process's stdout and stderr).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import type { TestDatabase } from './databases.ts';

const bin = fileURLToPath(new URL('../../bin/chartside.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An environment for admin commands against a test database, with its own master key. */
export function cliEnvironment(database: TestDatabase): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: database.url,
    CHARTSIDE_MASTER_KEY: randomBytes(32).toString('base64'),
    CHARTSIDE_DATA_DIR: database.folder ?? undefined,
    PUBLIC_URL: 'https://gw.example.org',
  };
}

/** A command's streams for a test: `stdin` as given, whatever it prints kept as the process would. */
export function capturedIo(
  env: NodeJS.ProcessEnv,
  stdin = '',
): CliIo & { stdout(): string; stderr(): string } {
  let stdout = '';
  let stderr = '';
  return {
    env,
    stdin: Readable.from(stdin === '' ? [] : [Buffer.from(stdin)]),
    print: (text) => {
      stdout += `${text}\n`;
    },
    printError: (text) => {
      stderr += `${text}\n`;
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** The command line run in this process: exit code and output as the binary's. */
export async function runChartside(env: NodeJS.ProcessEnv, args: string[], stdin = ''): Promise<CliResult> {
  const io = capturedIo(env, stdin);
  const code = await runCli(args, io);
  assert.notEqual(code, -1, `chartside ${args[0]} keeps running: start it with runChartsideProcess`);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** The real `chartside` binary in a child process. */
export function runChartsideProcess(env: NodeJS.ProcessEnv, args: string[], stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Exit 2 with exactly one line on stderr that matches `reason`. */
export function assertBadInput(result: CliResult, reason: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0] as string, reason);
}
