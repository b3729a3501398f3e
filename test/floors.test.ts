// The floors of src/, bottom up: util → kernels → tensor → model → ngame → cli. A file may import
// from its own floor or any floor below it, never from one above. src/index.ts, the package's
// public API, is a floor of its own between ngame and cli: it re-exports the library, not the CLI. This test reads every import
// (static, `export … from`, and dynamic `import('…')`) of every file under src/ and names each
// one that climbs.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const FLOORS = ['util', 'kernels', 'tensor', 'model', 'ngame', 'index.ts', 'cli'] as const;
const SRC = resolve(__dirname, '../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The floor a path under src/ stands on, or -1 for a path outside src/. */
function floorOf(path: string): number {
  const top = relative(SRC, path).split(/[\\/]/)[0];
  return FLOORS.indexOf(top as (typeof FLOORS)[number]);
}

/** Every relative module specifier in a source text, with its 1-based line. */
function importsOf(source: string): { spec: string; line: number }[] {
  const out: { spec: string; line: number }[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]*)\1/gm;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    out.push({ spec: m[2], line: source.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** "file:line imports spec (floor A imports floor B)" for each upward import of one file. */
function upwardImports(file: string, source: string): string[] {
  const own = floorOf(file);
  return importsOf(source).flatMap(({ spec, line }) => {
    const target = floorOf(resolve(dirname(file), spec));
    return target > own
      ? [`src/${relative(SRC, file)}:${line} imports '${spec}' (${FLOORS[own]} must not import ${FLOORS[target]})`]
      : [];
  });
}

describe('floors of src/', () => {
  it('every file lives on a known floor', () => {
    const stray = tsFiles(SRC).filter((f) => floorOf(f) < 0).map((f) => relative(SRC, f));
    expect(stray).toEqual([]);
  });

  it('no file imports from a floor above its own', () => {
    const bad = tsFiles(SRC).flatMap((f) => upwardImports(f, readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('the check sees static, re-export and dynamic imports and names the offender', () => {
    const file = join(SRC, 'kernels', 'example.ts');
    const source = [
      "import { a } from '../util/rng';",
      "import type { T } from '../tensor/tensor';",
      "export { b } from '../model/layers';",
      "const m = await import('../cli/main');",
      "import './webgpu/runtime';",
    ].join('\n');
    expect(upwardImports(file, source)).toEqual([
      "src/kernels/example.ts:2 imports '../tensor/tensor' (kernels must not import tensor)",
      "src/kernels/example.ts:3 imports '../model/layers' (kernels must not import model)",
      "src/kernels/example.ts:4 imports '../cli/main' (kernels must not import cli)",
    ]);
  });

  it('the public API (src/index.ts) may import the library but not the CLI', () => {
    const source = "export * from './ngame/data';\nexport { main } from './cli/main';";
    expect(upwardImports(join(SRC, 'index.ts'), source)).toEqual([
      "src/index.ts:2 imports './cli/main' (index.ts must not import cli)",
    ]);
  });
});
