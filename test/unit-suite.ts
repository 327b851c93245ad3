/**
 * Every unit test (`*.test.ts` under src/, packages/ and examples/) in one process, for
 * `npm test`. node:test on Node 20 starts a process per file, and each start loads tsx and the
 * modules again: for these ~80 small files that was half their CPU. Together they share one
 * loader and one module cache, so a unit test must leave no global state behind (use `t.mock`,
 * which restores itself). `bash scripts/test.sh <file>` still runs one file on its own.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

export function unitTestFiles(): string[] {
  return ['src', 'packages', 'examples'].flatMap((folder) =>
    readdirSync(root + folder, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts') && !file.split(/[\\/]/).includes('node_modules'))
      .sort()
      .map((file) => `${folder}/${file}`),
  );
}

for (const file of unitTestFiles()) await import(pathToFileURL(root + file).href);
