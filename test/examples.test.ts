// The scripts in examples/ run as a user runs them (`npx tsx examples/NAME.ts ...`), with
// 'ngame-ts' resolved to src/index.ts through tsconfig.json's paths; test/package.test.ts runs
// them again against the installed package. Each checks what it prints, so a broken example fails.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLfSlice } from './helpers/lf-slice';

const root = join(__dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'ngame-examples-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `node --import tsx examples/NAME.ts args...` in the repository; resolves with its exit code and output. */
function runExample(name: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('examples', name), ...args], { cwd: root, timeout: 240_000 });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('examples/', () => {
  it('train-own-data.ts trains on an LF-format directory, then tags a new text from the run directory', async () => {
    const data = join(tmp, 'lf');
    const { labels } = await writeLfSlice(data, { train: 300, test: 100 });
    const out = join(tmp, 'run');
    const r = await runExample('train-own-data.ts', [data, out, '1', 'a compiler translates source code']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`300 train, 100 test documents, ${labels} labels`);
    const p1 = Number(/test P@1 ([\d.]+)/.exec(r.out)?.[1]);
    expect(p1).toBeGreaterThan(5); // 1 epoch on 300 documents: far above chance (1 in 1,085)
    const tags = /"a compiler translates source code" → (.+)/.exec(r.out)?.[1].split(' | ');
    expect(tags).toHaveLength(3);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
  });

  it('train-own-data.ts without arguments prints its usage and exits 2', async () => {
    const r = await runExample('train-own-data.ts', []);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/usage: train-own-data.ts DATA_DIR OUT_DIR/);
  });

  it('kernel-vs-reference.ts runs a tensor op and the matmul kernel on WebGPU, both within 1e-4 of their references', async () => {
    const r = await runExample('kernel-vs-reference.ts', []);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^adapter: .+/m);
    for (const what of ['tensor op softmax', 'kernel matmul']) {
      const diff = Number(new RegExp(`${what}.*= ([\\d.e+-]+)`).exec(r.out)?.[1]);
      expect(diff, what).toBeLessThanOrEqual(1e-4);
    }
    expect(r.out).toContain('both agree with their references');
  });
});
