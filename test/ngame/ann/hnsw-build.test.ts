// The batched HNSW build on worker threads (src/ngame/ann/hnsw-build.ts): the same graph for any
// number of threads, as good as insertion one node at a time, and an ordinary index afterwards.
import { describe, expect, it } from 'vitest';
import { HnswIndex } from '../../../src/ngame/ann/hnsw';
import { BUILD_BATCH, batchSize, buildHnsw } from '../../../src/ngame/ann/hnsw-build';
import { exactTopK, recallAtK } from '../../../src/ngame/ann/exact';
import { PARALLEL_MIN_QUERIES, searchParallel } from '../../../src/ngame/ann/hnsw-parallel';
import { mat } from '../../../src/ngame/matrix';
import { dataset } from './data';

const opts = { dim: 12, metric: 'ip' as const, M: 6, efConstruction: 40, efSearch: 30, seed: 2 };

describe('buildHnsw', () => {
  it('builds the same graph on 1, 2 and 3 threads, bit for bit', async () => {
    const { items, queries } = dataset('clustered', 3001, 12, 4); // 3,001: the last batch is partial
    const one = await buildHnsw(items, opts, 1, 0);
    expect(one.mem.sharedMemory).toBeNull(); // one thread: an ordinary memory
    for (const threads of [2, 3]) {
      const g = await buildHnsw(items, opts, threads, 0);
      expect(g.mem.sharedMemory).not.toBeNull();
      expect(g.parts()).toEqual(one.parts());
      expect(g.search(queries, 5)).toEqual(one.search(queries, 5));
    }
    // searched on worker threads that attach to the shared graph (no copy): the same top-k
    const g = await buildHnsw(items, opts, 2, 0);
    const n = PARALLEL_MIN_QUERIES + 77;
    const q = mat(n, 12, Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011)));
    expect(await searchParallel(g, q, 7, 30, 2)).toEqual(one.search(q, 7, 30));
    expect(await searchParallel(g, q, 7, 30, 3)).toEqual(one.search(q, 7, 30)); // more threads than slots: copies
  }, 60_000);

  it('finds neighbours as well as insertion one node at a time', async () => {
    for (const kind of ['clustered', 'random'] as const) {
      const { items, queries } = dataset(kind, 4000, 16, 7);
      const exact = exactTopK(queries, items, 10);
      const seq = new HnswIndex({ ...opts, dim: 16 });
      seq.add(items);
      const batched = await buildHnsw(items, { ...opts, dim: 16 }, 2, 0);
      const r = recallAtK(batched.search(queries, 10, 80), exact, 10);
      const rs = recallAtK(seq.search(queries, 10, 80), exact, 10);
      expect(r).toBeGreaterThan(0.95);
      expect(r).toBeGreaterThan(rs - 0.01);
      // every node is reachable: each has at least one link on layer 0
      for (let i = 0; i < items.rows; i++) expect(batched.links0[i * (batched.M0 + 1)]).toBeGreaterThan(0);
    }
  }, 60_000);

  it('grows batches from one node to BUILD_BATCH; tiny and empty inputs; a wrong width is named', async () => {
    expect(batchSize(0)).toBe(1);
    expect(batchSize(15)).toBe(1);
    expect(batchSize(64)).toBe(8);
    expect(batchSize(1e6)).toBe(BUILD_BATCH);
    expect((await buildHnsw(mat(0, 4), { dim: 4 }, 2, 0)).size).toBe(0);
    const two = await buildHnsw(mat(2, 4, Float32Array.from([1, 0, 0, 0, 0, 1, 0, 0])), { dim: 4, metric: 'ip' }, 2, 0);
    expect(Array.from(two.search(mat(1, 4, Float32Array.from([0, 1, 0, 0])), 2).indices)).toEqual([1, 0]);
    await expect(buildHnsw(mat(3, 5), { dim: 4 })).rejects.toThrow(/buildHnsw: vectors have 5 columns, index dim is 4/);
  });

  it('is an ordinary index afterwards: more vectors can be added (its shared memory is moved) and found', async () => {
    const { items } = dataset('clustered', 600, 12, 9);
    const g = await buildHnsw(items, opts, 2, 0);
    const extra = mat(3, 12, Float32Array.from({ length: 36 }, (_, i) => (i % 12 === Math.floor(i / 12) + 5 ? 10 : 0)));
    g.add(extra);
    g.add(dataset('clustered', 2000, 12, 10).items); // past the shared memory's pages
    expect(g.mem.sharedMemory).toBeNull();
    expect(g.size).toBe(2603);
    expect(g.search(mat(1, 12, extra.data.subarray(12, 24)), 1).indices[0]).toBe(601);
    expect(g.vector(10)).toEqual(items.data.subarray(120, 132));
  });
});
