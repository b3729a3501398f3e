// Exact GPU search (matmul + top-k, chunked over items and queries) against a CPU sort, its
// refined search (BackendIndex) against the host's exactTopK, and score fusion on a
// hand-computed example.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { closeGpu } from '../../src/kernels/webgpu/device';
import { BackendIndex, searchTopK } from '../../src/ngame/search';
import { exactTopK } from '../../src/ngame/ann/exact';
import { mat } from '../../src/ngame/matrix';
import { fuseScores } from '../../src/ngame/inference';
import type { CSR } from '../../src/ngame/data';
import { Rng } from '../../src/util/rng';

afterAll(closeGpu);

/** Reference: full sort of every item by (score desc, index asc). */
function sortTopK(q: Float32Array, x: Float32Array, dim: number, k: number) {
  const nq = q.length / dim, ni = x.length / dim;
  const idx: number[] = [];
  for (let i = 0; i < nq; i++) {
    const s = Array.from({ length: ni }, (_, j) => {
      let v = 0;
      for (let t = 0; t < dim; t++) v += q[i * dim + t] * x[j * dim + t];
      return { j, v };
    });
    s.sort((a, b) => b.v - a.v || a.j - b.j);
    idx.push(...s.slice(0, k).map((e) => e.j));
  }
  return idx;
}

describe('searchTopK on webgpu', () => {
  it('equals a CPU sort (ties by index), across item and query chunks', async () => {
    const be = await WebGpuBackend.create();
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 97 }), fc.constantFrom(1, 3, 8), fc.integer({ min: 1, max: 999 }), async (nq, ni, dim, seed) => {
      const rng = new Rng(seed);
      // Small integers: every score is exact in f32, so ties are real and must break by index.
      const q = Float32Array.from({ length: nq * dim }, () => rng.int(5) - 2);
      const x = Float32Array.from({ length: ni * dim }, () => rng.int(5) - 2);
      const k = 1 + (seed % Math.min(ni, 10));
      const got = await searchTopK(be, q, x, dim, k, { itemChunk: 13, queryChunk: 7 });
      expect(Array.from(got.indices)).toEqual(sortTopK(q, x, dim, k));
    }), { seed: 42, numRuns: 25 });
  });
});

describe('BackendIndex', () => {
  it('refined search returns exactly the host exactTopK (indices and values), search after search', async () => {
    const be = await WebGpuBackend.create();
    const before = be.memory().liveBytes;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 29 }), fc.integer({ min: 1, max: 131 }), fc.constantFrom(1, 5, 16, 33), fc.integer({ min: 1, max: 999 }), async (nq, ni, dim, seed) => {
      const rng = new Rng(seed);
      // Odd seeds: independent normal rows (the candidates decide). Even seeds: near-ties, four
      // base rows plus noise at f32 rounding level (the exact fallback scan decides).
      const base = Float32Array.from({ length: 4 * dim }, () => rng.normal());
      const x = Float32Array.from({ length: ni * dim }, (_, i) => seed % 2 ? rng.normal() : base[(Math.floor(i / dim) % 4) * dim + (i % dim)] + (rng.int(3) - 1) * 1e-7);
      const k = 1 + (seed % Math.min(ni, 12));
      const index = BackendIndex.build(be, x, dim, { itemChunk: 1 + (seed % 40), queryChunk: 1 + (seed % 9) });
      try {
        for (let rep = 0; rep < 2; rep++) {
          const q = Float32Array.from({ length: nq * dim }, () => rng.normal());
          const want = exactTopK(mat(nq, dim, q), mat(ni, dim, x), k);
          const got = await index.search(q, k, { refine: true });
          expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
          expect(Array.from(got.values)).toEqual(Array.from(want.values));
        }
      } finally {
        index.release();
      }
    }), { seed: 43, numRuns: 25 });
    expect(be.memory().liveBytes).toBe(before);
  });

  it('names the bad size or k', async () => {
    const be = await WebGpuBackend.create();
    expect(() => BackendIndex.build(be, new Float32Array(7), 2)).toThrow(/7 item values are not a multiple of dim 2/);
    const index = BackendIndex.build(be, new Float32Array(8), 2);
    await expect(index.search(new Float32Array(3), 1)).rejects.toThrow(/3 query values/);
    await expect(index.search(new Float32Array(2), 5)).rejects.toThrow(/k = 5 must be in \[1, 4\]/);
    index.release();
  });
});

describe('fuseScores', () => {
  it('β·clf + (1−β)·emb over the union, a missing score counting 0', () => {
    const emb: CSR = { rows: 2, cols: 5, indptr: Int32Array.from([0, 2, 3]), indices: Int32Array.from([0, 1, 4]), values: Float32Array.from([0.9, 0.5, 0.7]) };
    const clf: CSR = { rows: 2, cols: 5, indptr: Int32Array.from([0, 2, 3]), indices: Int32Array.from([1, 2, 3]), values: Float32Array.from([1.0, 2.0, 0.4]) };
    const f = fuseScores(emb, clf, 0.25);
    const row = (r: number) => Object.fromEntries(Array.from({ length: f.indptr[r + 1] - f.indptr[r] }, (_, a) => [f.indices[f.indptr[r] + a], Number(f.values[f.indptr[r] + a].toFixed(6))]));
    expect(row(0)).toEqual({ 0: 0.675, 1: 0.625, 2: 0.5 });
    expect(row(1)).toEqual({ 4: 0.525, 3: 0.1 });
    expect(() => fuseScores(emb, clf, 1.5)).toThrow(/beta/);
  });
});
