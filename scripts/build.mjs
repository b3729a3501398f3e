// `npm run build` (and `npm pack`, through prepack): compiles src/ into dist/ for the package.
//
// The sources use extensionless and directory imports (moduleResolution Bundler), which Node's
// ESM loader does not resolve, so plain tsc output would not run. Instead:
// 1. esbuild bundles the entry points below into dist/*.js (ES modules, shared code split into
//    dist/chunks/ so that every entry sees the same Tensor class), with the npm dependencies
//    (webgpu) left as imports; dist/cli.js gets a #! line and is the package's `bin`.
// 2. tsc writes the declarations of the library entries and what they import (tsconfig.build.json;
//    the CLI has no API) into dist/types/, mirroring src/.
// 3. Their relative imports are rewritten to the files they name ('./tensor' → './tensor/index.js',
//    './rng' → './rng.js'), as Node16/NodeNext resolution in a user's tsc requires; each entry's
//    declaration also references @webgpu/types, the GPU types its signatures name.
// Development keeps running the sources through tsx (bin/ngame.mjs); dist/ is not committed.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** dist/NAME.js ← src/FILE; package.json's exports map these (types: dist/types/FILE as .d.ts). */
const LIBRARY = { index: 'src/index.ts', tensor: 'src/tensor/index.ts', kernels: 'src/kernels/index.ts' };
// hnsw-worker: the script of HNSW's search threads (src/ngame/ann/hnsw-parallel.ts starts it)
const ENTRIES = { ...LIBRARY, cli: 'src/cli/main.ts', 'hnsw-worker': 'src/ngame/ann/hnsw-worker.ts' };

rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: `node${pkg.engines.node.replace(/[^0-9.]/g, '')}`,
  external: Object.keys(pkg.dependencies ?? {}),
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
const cli = join(dist, 'cli.js');
writeFileSync(cli, `#!/usr/bin/env node\n${readFileSync(cli, 'utf8')}`, { mode: 0o755 });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
// Messages go to stderr: `npm pack --json` runs this as prepack and prints its JSON on stdout.
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2], cwd: root });

const types = join(dist, 'types');
const declarations = (dir) =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? declarations(join(dir, n)) : n.endsWith('.d.ts') ? [join(dir, n)] : []));
const SPEC = /(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]*)\2/gm;
for (const file of declarations(types)) {
  const text = readFileSync(file, 'utf8').replace(SPEC, (_m, head, q, spec) => {
    const base = resolve(dirname(file), spec);
    const target = existsSync(`${base}.d.ts`) ? `${spec}.js` : existsSync(join(base, 'index.d.ts')) ? `${spec}/index.js` : null;
    if (!target) throw new Error(`build: ${relative(root, file)} imports '${spec}', which names no declaration file`);
    return `${head}${q}${target}${q}`;
  });
  writeFileSync(file, text);
}
for (const file of Object.values(LIBRARY)) {
  const d = join(types, relative('src', file).replace(/\.ts$/, '.d.ts'));
  writeFileSync(d, `/// <reference types="@webgpu/types" />\n${readFileSync(d, 'utf8')}`);
}
console.error(`build: dist/ holds ${Object.keys(ENTRIES).map((n) => `${n}.js`).join(', ')} and their declarations`);
