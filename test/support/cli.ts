/** Running the real `chartside` command in a child process, as outside scripts do. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
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

export function runChartside(env: NodeJS.ProcessEnv, args: string[], stdin = ''): Promise<CliResult> {
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
