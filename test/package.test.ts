// The package as users get it: `npm pack` (prepack builds dist/), then in an empty project
// `npm install --omit=dev` of the tarball, with nothing from this repository on the path. Checks
// what the tarball holds, that `npx ngame` runs the compiled CLI (no tsx at run time), that a
// one-epoch training gives the same metrics as `node bin/ngame.mjs train` in the repository, that
// the public API imports from a plain .mjs file and type-checks from a .ts file against the
// shipped declarations, and that examples/kernel-vs-reference.ts runs against the installed package.
// Slow (a build and an install, 1 to 3 minutes on a busy 2-core machine): one beforeAll does both.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLfSlice } from './helpers/lf-slice';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ngame-package-'));
const app = join(tmp, 'app');
const installed = join(app, 'node_modules', 'ngame-ts');
let tarball: string;
/** Paths in the tarball, relative to its package/ folder. */
let files: string[];

interface Result { code: number | null; out: string; err: string }

/** Runs a command to its end (asynchronously, so vitest's worker stays responsive). */
function run(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function ok(cmd: string, args: string[], cwd: string): Promise<Result> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}\n${r.out}\n${r.err}`);
  return r;
}

beforeAll(async () => {
  await ok('npm', ['pack', '--pack-destination', tmp], root);
  tarball = join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz'))!);
  files = (await ok('tar', ['-tzf', tarball], tmp)).out.trim().split('\n').map((p) => p.replace(/^package\//, '')).filter((p) => !p.endsWith('/'));
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await ok('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('holds the build, the embedded dataset, the assets, README and LICENSE', () => {
    for (const p of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/cli.js', 'dist/tensor.js', 'dist/kernels.js', 'dist/types/index.d.ts',
      'data/foldoc-xref-8k/trn_X.txt.gz', 'data/foldoc-xref-8k/README.md', 'assets/bert-base-uncased-vocab.txt']) {
      expect(files, p).toContain(p);
    }
  });

  it('holds no sources, tests, CI, benchmarks, docs or results', () => {
    const allowed = (p: string) => /^(dist|data|assets)\//.test(p) || ['package.json', 'README.md', 'LICENSE'].includes(p);
    expect(files.filter((p) => !allowed(p))).toEqual([]);
    expect(files.filter((p) => /(^|\/)(test|tests|bench|\.ci|docs|results|runs|src)\//.test(p) || /\.test\.|\.ts$/.test(p.replace(/\.d\.ts$/, '')))).toEqual([]);
  });

  it('installs without the development tools: no tsx, typescript or vitest', () => {
    for (const dev of ['tsx', 'typescript', 'vitest', 'esbuild']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'webgpu'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@webgpu', 'types'))).toBe(true);
  });
});

describe('npx ngame from the installed package', () => {
  it('--help runs the compiled CLI', async () => {
    const r = await run('npx', ['ngame', '--help'], app);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('usage: ngame COMMAND [flags]');
    expect(readFileSync(join(app, 'node_modules', '.bin', 'ngame'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('finds the embedded dataset inside the package', async () => {
    const r = await run('npx', ['ngame', 'data', 'stats'], app);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/FOLDOC-XRef-8K/);
    expect(r.out).toMatch(/train docs\s+7,191/);
  });

  it('trains one epoch on an LF-format slice with the same metrics as the repository for the same seed', async () => {
    const data = join(tmp, 'lf');
    await writeLfSlice(data, { train: 300, test: 100 });
    const args = ['train', '--data', data, '--epochs', '1', '--m2-epochs', '1', '--device', 'cpu', '--seed', '3', '--quiet', '--json'];
    const [pkg, repo] = await Promise.all([
      run('npx', ['ngame', ...args, '--out', join(tmp, 'run-pkg')], app),
      run(process.execPath, [join(root, 'bin/ngame.mjs'), ...args, '--out', join(tmp, 'run-repo')], root),
    ]);
    expect(pkg.code, pkg.err).toBe(0);
    expect(repo.code, repo.err).toBe(0);
    const metrics = (r: Result) => {
      const j = JSON.parse(r.out.trim().split('\n').at(-1)!);
      return { m1: j.m1, m2: j.m2, fused: j.fused, device: j.device };
    };
    const a = metrics(pkg);
    expect(a.m1.P[0]).toBeGreaterThan(0);
    expect(a).toEqual(metrics(repo));
  });
});

describe('the public API of the installed package', () => {
  it('imports from a plain .mjs file: root and subpaths share one Tensor class', async () => {
    writeFileSync(join(app, 'use.mjs'), `
      import { existsSync } from 'node:fs';
      import { CpuBackend, Tensor, tensor, matmul, runTraining, openRun, loadDataset, computeMetrics, makeSampler, BagEncoder, searchTopK, HnswIndex, DEFAULT_DATASET_DIR, DEFAULT_RUN } from 'ngame-ts';
      import * as T from 'ngame-ts/tensor';
      import { matmulRef, matmulGpu, Runtime } from 'ngame-ts/kernels';
      const fns = { runTraining, openRun, loadDataset, computeMetrics, makeSampler, BagEncoder, searchTopK, HnswIndex, matmulGpu, Runtime };
      const c = matmul(tensor([1, 2, 3, 4], [2, 2]), tensor([5, 6, 7, 8], [2, 2]));
      const ref = matmulRef(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), { batch: 1, M: 2, N: 2, K: 2, transA: false, transB: false, strideA: 0, strideB: 0 });
      console.log(JSON.stringify({
        product: Array.from(await c.data()), ref: Array.from(ref), sameTensor: T.Tensor === Tensor && c instanceof T.Tensor,
        cpu: c.backend instanceof CpuBackend, functions: Object.values(fns).every((f) => typeof f === 'function'),
        dataset: DEFAULT_DATASET_DIR, datasetThere: existsSync(DEFAULT_DATASET_DIR), sampler: DEFAULT_RUN.sampler,
      }));
    `);
    const r = await run(process.execPath, ['use.mjs'], app);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ product: [19, 22, 43, 50], ref: [19, 22, 43, 50], sameTensor: true, cpu: true, functions: true, datasetThere: true, sampler: 'ngame' });
    expect(j.dataset).toBe(join(installed, 'data', 'foldoc-xref-8k'));
  });

  it('type-checks a .ts file against the shipped declarations, which carry real types (a wrong type is an error, not any)', async () => {
    writeFileSync(join(app, 'use.ts'), `
      import { DEFAULT_RUN, mergeConfig, runTraining, tensor, matmul, type RunConfig, type RunResult, type Tensor, type Metrics } from 'ngame-ts';
      import { matmulRef, type MatmulParams } from 'ngame-ts/kernels';
      import { CpuBackend } from 'ngame-ts/tensor';
      const cfg: RunConfig = mergeConfig(DEFAULT_RUN, { m1: { epochs: 1 }, device: 'cpu' });
      const t: Tensor = matmul(tensor([1, 2], [1, 2], { backend: new CpuBackend() }), tensor([3, 4], [2, 1]));
      const p: MatmulParams = { batch: 1, M: 1, N: 1, K: 2, transA: false, transB: false, strideA: 0, strideB: 0 };
      const ref: ArrayLike<number> = matmulRef(new Float32Array([1, 2]), new Float32Array([3, 4]), p);
      export async function train(out: string): Promise<number> {
        const r: RunResult = await runTraining(cfg, out);
        const m: Metrics = r.fused ?? r.m1;
        return m.P[0] + (await t.data())[0] + ref[0];
      }
    `);
    writeFileSync(join(app, 'wrong.ts'), `
      import { DEFAULT_RUN } from 'ngame-ts';
      import { matmulRef } from 'ngame-ts/kernels';
      export const n: number = DEFAULT_RUN.sampler;
      export const m = matmulRef('not an array');
    `);
    // tsc from this repository, as a user's project would run it: Node16 ESM resolution, strict,
    // the declarations themselves checked too (no skipLibCheck). One run for both files.
    const r = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'es2022',
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), 'use.ts', 'wrong.ts'], app);
    const errors = r.out.trim().split('\n').filter((l) => /error TS/.test(l));
    expect(errors.filter((l) => !l.startsWith('wrong.ts')), r.out + r.err).toEqual([]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^wrong\.ts\(4,\d+\): error TS2322: Type '[^']+' is not assignable to type 'number'/);
    expect(errors[1]).toMatch(/^wrong\.ts\(5,\d+\): error TS2554/);
  });

  it('runs examples/kernel-vs-reference.ts against the installed package', async () => {
    copyFileSync(join(root, 'examples/kernel-vs-reference.ts'), join(app, 'kernel-vs-reference.ts'));
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href; // only to strip the types
    const r = await run(process.execPath, ['--import', tsx, 'kernel-vs-reference.ts'], app);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('both agree with their references');
  });
});
