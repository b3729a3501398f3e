// The package's own directory: where package.json, data/ (the embedded dataset) and assets/ (the
// bundled vocabulary) live. Found from this module's location rather than by a fixed '../..':
// running the sources this module is src/util/package-dir.ts, but in the built package
// (scripts/build.mjs) esbuild bundles it into dist/ or dist/chunks/, wherever the bundler puts it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/** The nearest directory at or above this module that holds a package.json. */
export function packageDir(): string {
  if (cached !== null) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    if (dirname(dir) === dir) throw new Error(`ngame-ts: no package.json at or above ${start}, so data/ and assets/ cannot be found`);
  }
}

/** Absolute path of a file or directory shipped with the package, e.g. packagePath('assets', 'x.txt'). */
export function packagePath(...parts: string[]): string {
  return join(packageDir(), ...parts);
}
