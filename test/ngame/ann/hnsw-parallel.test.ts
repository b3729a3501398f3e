import { describe, expect, it } from 'vitest';
import { HnswIndex } from '../../../src/ngame/ann/hnsw';
import { PARALLEL_MIN_QUERIES, searchParallel, searchThreads } from '../../../src/ngame/ann/hnsw-parallel';
import { mat } from '../../../src/ngame/matrix';
import { dataset } from './data';

describe('HNSW search on worker threads', () => {
  it('gives what one thread gives, bit for bit, for 2 and 3 threads and uneven blocks', async () => {
    const { items } = dataset('clustered', 3000, 12, 4);
    const index = new HnswIndex({ dim: 12, metric: 'ip', M: 6, efConstruction: 40, efSearch: 30, seed: 2 });
    index.add(items);
    const n = PARALLEL_MIN_QUERIES + 1001;
    const q = mat(n, 12, Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011)));
    const want = index.search(q, 7, 30);
    for (const threads of [2, 3]) expect(await searchParallel(index, q, 7, 30, threads)).toEqual(want);
    // few queries: the main thread alone
    const small = mat(10, 12, q.data.subarray(0, 120));
    expect(await searchParallel(index, small, 7, 30, 2)).toEqual(index.search(small, 7, 30));
  }, 60_000);

  it('takes its thread count from NGAME_THREADS, and names a bad one', () => {
    const old = process.env.NGAME_THREADS;
    try {
      process.env.NGAME_THREADS = '3';
      expect(searchThreads()).toBe(3);
      process.env.NGAME_THREADS = 'two';
      expect(() => searchThreads()).toThrow(/NGAME_THREADS must be a positive integer, got "two"/);
    } finally {
      if (old === undefined) delete process.env.NGAME_THREADS;
      else process.env.NGAME_THREADS = old;
    }
  });
});
