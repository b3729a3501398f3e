// The search setting (src/ngame/label-search.ts): what auto resolves to, HNSW's recall against
// exact search on a small clustered set, and full rows from a graph that is not connected.
import { describe, expect, it } from 'vitest';
import { HNSW_AUTO_LABELS, buildLabelIndex, indexTopK, labelTopK, resolveSearch, sampleRecall } from '../../src/ngame/label-search';
import { exactTopK } from '../../src/ngame/ann/exact';
import { mat } from '../../src/ngame/matrix';
import { CpuBackend } from '../../src/tensor';
import { Rng } from '../../src/util/rng';

const cpu = new CpuBackend();

function clustered(n: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const C = Float32Array.from({ length: 30 * dim }, () => rng.normal());
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = rng.int(30);
    let s = 0;
    for (let t = 0; t < dim; t++) s += (x[i * dim + t] = C[c * dim + t] + 0.6 * rng.normal()) ** 2;
    for (let t = 0; t < dim; t++) x[i * dim + t] /= Math.sqrt(s);
  }
  return x;
}

describe('resolveSearch', () => {
  it('auto is exact up to the threshold (DebianDeps and FOLDOC stay exact), HNSW above', () => {
    expect(HNSW_AUTO_LABELS).toBeGreaterThan(42_224);
    expect(resolveSearch('auto', 8_073)).toBe('exact');
    expect(resolveSearch('auto', HNSW_AUTO_LABELS)).toBe('exact');
    expect(resolveSearch('auto', HNSW_AUTO_LABELS + 1)).toBe('hnsw');
    expect(resolveSearch('hnsw', 3)).toBe('hnsw');
    expect(resolveSearch('exact', 1e7)).toBe('exact');
    expect(() => resolveSearch('fast' as never, 3)).toThrow(/search must be one of exact, hnsw, auto, got "fast"/);
  });
});

describe('labelTopK', () => {
  it('hnsw: recall@10 against exact search above 0.95 on a clustered set, with its recall measured on a fixed sample', async () => {
    const dim = 32, L = 3000, n = 400;
    const labels = clustered(L, dim, 1), docs = clustered(n, dim, 2);
    const search = { mode: 'hnsw' as const, hnsw: { M: 16, efConstruction: 100, efSearch: 64, efShortlist: 64 }, seed: 3 };
    const { top, recall } = await labelTopK(cpu, docs, labels, dim, 10, search, 7);
    const exact = exactTopK(mat(n, dim, docs), mat(L, dim, labels), 10);
    let hit = 0;
    for (let q = 0; q < n; q++) {
      const want = new Set(exact.indices.subarray(q * 10, q * 10 + 10));
      for (let t = 0; t < 10; t++) if (want.has(top.indices[q * 10 + t])) hit++;
    }
    expect(hit / (10 * n)).toBeGreaterThan(0.95);
    expect(recall!.docs).toBe(n); // fewer documents than the sample size: all of them
    expect(recall!.k).toBe(10);
    expect(recall!.recall).toBeCloseTo(hit / (10 * n), 12);
    // exact: the exact search, no recall
    const ex = await labelTopK(cpu, docs, labels, dim, 10, { ...search, mode: 'exact' }, 7);
    expect(ex.recall).toBeNull();
    expect(ex.top).toEqual(exact);
    // a fixed sample: the same documents every time
    const ix = await buildLabelIndex(labels, dim, search.hnsw, 3);
    expect(await sampleRecall(cpu, ix, docs, labels, 10, 50, 9)).toEqual(await sampleRecall(cpu, ix, docs, labels, 10, 50, 9));
  });

  it('k above efSearch raises the beam to k; every row is full even where the graph cannot reach k labels', async () => {
    const dim = 4;
    const labels = clustered(200, dim, 4);
    const ix = await buildLabelIndex(labels, dim, { M: 4, efConstruction: 8, efSearch: 5, efShortlist: 5 }, 1);
    const top = await indexTopK(ix, labels.subarray(0, 10 * dim), 50);
    expect(top.k).toBe(50);
    for (let i = 0; i < top.indices.length; i++) expect(top.indices[i]).toBeGreaterThanOrEqual(0);
    // cut every link: the graph reaches its entry point only, so each row comes from the exact fallback
    for (let i = 0; i < ix.size; i++) ix.links0[i * (ix.M0 + 1)] = 0;
    ix.maxLevel = 0;
    const q = labels.subarray(0, 3 * dim);
    expect(await indexTopK(ix, q, 20)).toEqual(exactTopK(mat(3, dim, q), mat(200, dim, labels), 20));
    expect((await indexTopK(ix, q, 500)).k).toBe(200); // k is capped at the labels there are
  });
});
