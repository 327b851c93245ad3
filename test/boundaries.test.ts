/**
 * The sandbox is a separate system: it imports nothing from the gateway, and the gateway imports
 * nothing from it (docs/architecture.md#rooms). Only the CLI composes the two.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
    (m) => m[1] as string,
  );
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

describe('module boundaries', () => {
  it('finds the files it checks', () => {
    assert.ok(sourceFiles(join(src, 'sandbox')).length > 5);
    assert.ok(sourceFiles(join(src, 'launch')).length > 3);
  });

  it('the sandbox imports only from src/sandbox', () => {
    for (const file of sourceFiles(join(src, 'sandbox'))) {
      for (const target of importsOf(file)) {
        assert.ok(
          target.startsWith(join(src, 'sandbox')),
          `${relative(src, file)} imports ${relative(src, target)}`,
        );
      }
    }
  });

  it('the gateway never imports the sandbox (only the CLI composes them)', () => {
    for (const file of sourceFiles(src)) {
      const folder = relative(src, file).split('/')[0];
      if (folder === 'sandbox' || folder === 'cli') continue;
      for (const target of importsOf(file)) {
        assert.ok(!target.startsWith(join(src, 'sandbox')), `${relative(src, file)} imports the sandbox`);
      }
    }
  });

  it('no gateway module reads process.env outside config and the CLI', () => {
    for (const file of sourceFiles(src)) {
      const folder = relative(src, file).split('/')[0];
      if (['config', 'cli', 'sandbox'].includes(folder as string) || file.endsWith('.test.ts')) continue;
      assert.ok(
        !readFileSync(file, 'utf8').includes('process.env'),
        `${relative(src, file)} reads process.env`,
      );
    }
  });
});
