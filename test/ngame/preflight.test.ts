// The checks runTraining makes once the data is loaded, before the run directory is touched and
// before M1: here a backend that cannot rank the configured top-K, which used to fail only after
// M1 and M2 had run (issue 17, case 5).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuBackend, type Backend } from '../../src/tensor';
import { runTraining } from '../../src/ngame/run';
import { checkTopK } from '../../src/ngame/preflight';
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
});
