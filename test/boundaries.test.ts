/**
 * The sandbox is a separate system: it imports nothing from the gateway, and the gateway imports
 * nothing from it (docs/architecture.md#rooms). Only the CLI composes the two. And no module of
 * src/ imports itself through others: rooms stand on the rooms below them.
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

/** The first import circle in `graph` (file → files it imports), as a path that ends where it starts. */
export function findCircle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const circle = visit(node);
    if (circle) return circle;
  }
  return null;
}

describe('module boundaries', () => {
  it('finds an import circle when there is one, and none in a tree without', () => {
    const tree = new Map([
      ['a', ['b', 'c']],
      ['b', ['c']],
      ['c', []],
    ]);
    assert.equal(findCircle(tree), null);
    tree.set('c', ['d']);
    tree.set('d', ['b']);
    assert.deepEqual(findCircle(tree), ['b', 'c', 'd', 'b']);
  });

  it('has no import circle anywhere in src/ (type-only imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(src)) {
      if (file.endsWith('.test.ts')) continue;
      graph.set(
        relative(src, file),
        importsOf(file).map((target) => relative(src, target)),
      );
    }
    assert.ok(graph.size > 100, 'reads the whole tree');
    const circle = findCircle(graph);
    assert.equal(circle, null, `import circle: ${circle?.join(' → ')}`);
  });

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

/** Every import specifier of `file`, relative or not. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

describe('the typed client and the example apps stand apart from the gateway', () => {
  const root = resolve(src, '..');
  const clientSrc = join(root, 'packages/client/src');

  it('packages/client/src imports only itself, Node built-ins and the FHIR types', () => {
    const files = sourceFiles(clientSrc);
    assert.ok(files.length >= 5, 'reads the package');
    for (const file of files) {
      for (const specifier of specifiersOf(file)) {
        const allowed = specifier.startsWith('.')
          ? resolve(dirname(file), specifier).startsWith(clientSrc)
          : specifier.startsWith('node:') || specifier === 'fhir/r4.js';
        assert.ok(allowed, `${relative(root, file)} imports ${specifier}`);
      }
    }
  });

  it('the example apps use the client and never the gateway’s or the sandbox’s code', () => {
    const files = sourceFiles(join(root, 'examples')).filter((file) => !file.endsWith('.test.ts'));
    assert.ok(files.length > 0, 'reads the examples');
    for (const file of files) {
      for (const target of importsOf(file)) {
        assert.ok(!target.startsWith(src), `${relative(root, file)} imports ${relative(root, target)}`);
      }
    }
  });
});
