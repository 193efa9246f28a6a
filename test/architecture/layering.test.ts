import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });

/** Every relative import of a file, resolved to a path from the project root. */
const importsOf = (file: string): string[] => {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    relative(root, resolve(root, file, '..', m[1]!)),
  );
};

/** Imports from `layer` into any of `forbidden`, as `file -> target`. */
const crossings = (layer: string, forbidden: string[]) =>
  sourceFiles(layer).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((dir) => target === dir || target.startsWith(`${dir}/`)))
      .map((target) => `${file} -> ${target}`),
  );

describe('layering', () => {
  it('packages never import workers', () => {
    expect(crossings('packages', ['workers'])).toEqual([]);
  });

  it('workers import one way: the API and the queue consumer never import each other; Durable Objects and shared code import neither', () => {
    expect(crossings('workers/api', ['workers/jobs'])).toEqual([]);
    expect(crossings('workers/jobs', ['workers/api'])).toEqual([]);
    expect(crossings('workers/objects', ['workers/api', 'workers/jobs'])).toEqual([]);
    expect(crossings('workers/lib', ['workers/api', 'workers/jobs', 'workers/objects'])).toEqual([]);
  });
});
