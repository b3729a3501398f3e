// The checks runTraining makes once the data is loaded, before the run directory is touched and
// before M1: here a backend that cannot rank the configured top-K, which used to fail only after
// M1 and M2 had run (issue 17, case 5), and tables larger than one kernel of the backend can
// bind (the M2 classifiers of a large label set on llvmpipe), which failed only after M1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend, type Backend } from '../../src/tensor';
import { runTraining } from '../../src/ngame/run';
import { checkTensorSizes, checkTopK } from '../../src/ngame/preflight';
import type { TextEncoder } from '../../src/model/text-encoder';
import { DEFAULT_RUN, mergeConfig } from '../../src/ngame/run-config';
import { tinyConfig, writeTinyDataset } from '../helpers/cli';

/** The cpu backend's kernels on the device path of searchTopK, with a top-k limited to k <= 4. */
function limitedBackend(): Backend {
  const be = new CpuBackend();
  Object.defineProperty(be, 'name', { value: 'webgpu' });
  const topk = be.topk.bind(be);
  be.topk = (x, rows, cols, k) => {
    if (k > 4) throw new Error(`top-k of ${k} exceeds this device's maximum 4`);
    return topk(x, rows, cols, k);
  };
  return be;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ngame-preflight-'));
  mkdirSync(join(dir, 'data'));
  writeTinyDataset(join(dir, 'data'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('preflight', () => {
  it('a top-K the backend cannot rank fails before training, and before the run directory exists', async () => {
    const cfg = mergeConfig(DEFAULT_RUN, { ...tinyConfig, data: join(dir, 'data'), topK: 10 });
    const out = join(dir, 'run');
    await expect(runTraining(cfg, out, undefined, { backend: limitedBackend() })).rejects.toThrow(/topK 10: the webgpu backend cannot rank the top 10 of 16 labels: top-k of 10 exceeds/);
    expect(existsSync(out)).toBe(false);
  });

  it('checkTopK ranks min(topK, labels), as retrieval does', async () => {
    await expect(checkTopK(limitedBackend(), 4, 100)).resolves.toBeUndefined();
    await expect(checkTopK(limitedBackend(), 300, 3)).resolves.toBeUndefined();
    await expect(checkTopK(new CpuBackend(), 100000, 50000)).resolves.toBeUndefined();
    await expect(checkTopK(limitedBackend(), 5, 100)).rejects.toThrow(/top 5 of 100 labels/);
  });

  it('a table larger than the backend can bind fails before training, naming the table and the setting', async () => {
    const small = Object.assign(new CpuBackend(), { maxTensorBytes: 600 });
    Object.defineProperty(small, 'name', { value: 'webgpu' });
    const cfg = mergeConfig(DEFAULT_RUN, { ...tinyConfig, data: join(dir, 'data'), encoder: { ...DEFAULT_RUN.encoder, ...tinyConfig.encoder, kind: 'bag' } });
    const out = join(dir, 'run-big');
    await expect(runTraining(cfg, out, undefined, { backend: small })).rejects.toThrow(/encoder parameter "[^"]+" \(\d+ × 16 f32\) takes 0\.\d MiB, more than the 0\.0 MiB one kernel of the webgpu backend .* can bind: use a smaller --dim, or fewer terms/);
    expect(existsSync(out)).toBe(false);
  });

  it('a term table that cannot fit memory even as row shards fails before it is made, and before the run directory exists', async () => {
    const cfg = mergeConfig(DEFAULT_RUN, { ...tinyConfig, data: join(dir, 'data'), encoder: { ...DEFAULT_RUN.encoder, ...tinyConfig.encoder, kind: 'bag', dim: 2 ** 30 } });
    const out = join(dir, 'run-huge');
    await expect(runTraining(cfg, out)).rejects.toThrow(/encoder parameter "embed\.terms" \(\d+ × 1073741824 f32\) takes \d+\.\d MiB, \d+\.\d MiB with its Adam moments, more than the \d+\.\d MiB of memory: use a smaller --dim, or fewer terms/);
    expect(existsSync(out)).toBe(false);
  });

  it('checkTensorSizes: the encoder tables, the M2 classifiers and the full softmax scores, against the limit', () => {
    const be = { name: 'webgpu', deviceName: 'test adapter', maxTensorBytes: 2 ** 20 } as Backend;
    const enc = (rows: number) => ({ kind: 'bag', outDim: 256, params: { entries: () => [['bag.table', { shape: [rows, 256], size: rows * 256 }]] } }) as unknown as TextEncoder;
    const cfg = (m2: Partial<typeof DEFAULT_RUN.m2>) => ({ ...DEFAULT_RUN, m2: { ...DEFAULT_RUN.m2, ...m2 } });
    expect(() => checkTensorSizes(cfg({}), enc(1024), 1024, be)).not.toThrow(); // exactly 1 MiB each fits
    expect(() => checkTensorSizes(cfg({}), enc(1025), 10, be)).toThrow(/encoder parameter "bag\.table" \(1025 × 256 f32\) takes 1\.0 MiB, more than the 1\.0 MiB .*test adapter/);
    expect(() => checkTensorSizes(cfg({}), enc(10), 1025, be)).toThrow(/the M2 classifiers \(1025 labels × 256 f32\).*use a smaller --dim, or --m2-epochs 0/);
    expect(() => checkTensorSizes(cfg({ epochs: 0 }), enc(10), 1025, be)).not.toThrow(); // no M2, no classifiers
    expect(() => checkTensorSizes(cfg({ loss: 'softmax', batchSize: 256 }), enc(10), 1024 + 1, be)).toThrow(/M2 classifiers/);
    expect(() => checkTensorSizes(cfg({ loss: 'softmax', batchSize: 512 }), enc(10), 600, be)).toThrow(/the M2 softmax scores \(512 documents × 600 labels f32\)/);
    expect(() => checkTensorSizes(cfg({}), enc(1e6), 1e6, new CpuBackend())).not.toThrow(); // cpu: no binding limit
    // an HNSW graph keeps its vectors in one WebAssembly memory (4 GiB): 5M × 256 f32 does not fit; exact search needs no graph
    expect(() => checkTensorSizes(cfg({ epochs: 0 }), enc(10), 5e6, new CpuBackend(), 2 ** 40)).toThrow(/the HNSW graph over 5000000 label vectors × 256 f32 takes 4882\.8 MiB, more than the 4096\.0 MiB a WebAssembly memory holds: use a smaller --dim, or --search exact/);
    expect(() => checkTensorSizes({ ...cfg({ epochs: 0 }), search: 'exact' }, enc(10), 5e6, new CpuBackend(), 2 ** 40)).not.toThrow();
  });

  it('checkTensorSizes with row shards: the bag term table and the pool losses\' classifiers may exceed one binding, not memory', () => {
    const be = { name: 'webgpu', deviceName: 'test adapter', maxTensorBytes: 2 ** 20, rowShards: true } as Backend;
    const enc = (kind: 'bag' | 'transformer', table: string, rows: number) =>
      ({ kind, outDim: 256, params: { entries: () => [[table, { shape: [rows, 256], size: rows * 256 }], ['residual.weight', { shape: [256, 256], size: 65536 }]] } }) as unknown as TextEncoder;
    const cfg = (m2: Partial<typeof DEFAULT_RUN.m2>) => ({ ...DEFAULT_RUN, m2: { ...DEFAULT_RUN.m2, ...m2 } });
    expect(() => checkTensorSizes(cfg({}), enc('bag', 'embed.terms', 5000), 5000, be)).not.toThrow(); // 4.9 MiB each: row shards
    expect(() => checkTensorSizes(cfg({ loss: 'triplet' }), enc('bag', 'embed.terms', 10), 5000, be)).not.toThrow();
    // the transformer's token table still needs one binding (its dense gradient's norm), and so do the full softmax's classifiers
    expect(() => checkTensorSizes(cfg({}), enc('transformer', 'embed.tokens', 5000), 10, be)).toThrow(/encoder parameter "embed\.tokens" .* can bind/);
    expect(() => checkTensorSizes(cfg({ loss: 'softmax', batchSize: 8 }), enc('bag', 'embed.terms', 10), 5000, be)).toThrow(/the M2 classifiers/);
    // memory: the table and its two Adam moments
    expect(() => checkTensorSizes(cfg({}), enc('bag', 'embed.terms', 5000), 10, be, 10 * 2 ** 20)).toThrow(/encoder parameter "embed\.terms" \(5000 × 256 f32\) takes 4\.9 MiB, 14\.6 MiB with its Adam moments, more than the 10\.0 MiB of memory: use a smaller --dim, or fewer terms/);
    expect(() => checkTensorSizes(cfg({}), enc('bag', 'embed.terms', 10), 20000, be, 50 * 2 ** 20)).toThrow(/the M2 classifiers \(20000 labels × 256 f32\) takes 19\.5 MiB, 58\.6 MiB with its Adam moments, more than the 50\.0 MiB of memory: use a smaller --dim, or --m2-epochs 0/);
  });
});
