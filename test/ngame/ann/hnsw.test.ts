import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HnswIndex, exactTopK, loadHnsw, recallAtK, saveHnsw } from '../../../src/ngame/ann';
import { mat } from '../../../src/ngame/matrix';
import { dataset } from './data';

const dir = mkdtempSync(join(tmpdir(), 'hnsw-test-'));

describe('HnswIndex', () => {
  it('recall@10 >= 0.95 at efSearch = 100 on random and clustered data', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('random' as const, 'clustered' as const), fc.constantFrom('ip' as const, 'cosine' as const),
        fc.integer({ min: 2000, max: 3000 }), fc.integer({ min: 4, max: 24 }), fc.integer({ min: 0, max: 1e6 }),
        (kind, metric, n, d, seed) => {
          const { items, queries } = dataset(kind, n, d, seed);
          const index = new HnswIndex({ dim: d, metric, M: 12, efConstruction: 100, seed });
          // incremental inserts: two batches
          const half = n >> 1;
          index.add(mat(half, d, items.data.subarray(0, half * d)));
          index.add(mat(n - half, d, items.data.subarray(half * d)));
          expect(index.size).toBe(n);
          const recall = recallAtK(index.search(queries, 10, 100), exactTopK(queries, items, 10, { metric }), 10);
          expect(recall).toBeGreaterThanOrEqual(0.95);
        },
      ),
      { seed: 42, numRuns: 5 },
    );
  });

  it('save -> load gives identical results, and later inserts continue identically', () => {
    const { items, queries } = dataset('clustered', 1200, 8, 7);
    const a = new HnswIndex({ dim: 8, metric: 'ip', M: 8, efConstruction: 60, seed: 3 });
    a.add(mat(1000, 8, items.data.subarray(0, 8000)));
    const path = join(dir, 'a.hnsw');
    saveHnsw(a, path);
    const b = loadHnsw(path);
    expect(b.search(queries, 10)).toEqual(a.search(queries, 10));
    const rest = mat(200, 8, items.data.subarray(8000));
    a.add(rest);
    b.add(rest);
    expect(b.search(queries, 10, 50)).toEqual(a.search(queries, 10, 50));
  });

  it('pruning with the closed-prefix shortcut builds the same graph as full checks', () => {
    const { items } = dataset('clustered', 1500, 9, 11);
    const a = new HnswIndex({ dim: 9, M: 4, efConstruction: 40, seed: 5 });
    a.add(items);
    // b forgets what it knows before every insert, so every prune checks all pairs
    const b = new HnswIndex({ dim: 9, M: 4, efConstruction: 40, seed: 5 });
    for (let i = 0; i < items.rows; i++) {
      b.closed0.fill(0);
      b.add(mat(1, 9, items.data.subarray(i * 9, (i + 1) * 9)));
    }
    expect(Array.from(b.links0)).toEqual(Array.from(a.links0));
    expect(Array.from(b.upper.subarray(0, b.upperLen))).toEqual(Array.from(a.upper.subarray(0, a.upperLen)));
    expect(a.closed0.some((c) => c > 0)).toBe(true); // the shortcut was exercised
  });

  it('reports corrupt, truncated and foreign files clearly', () => {
    const { items } = dataset('random', 200, 4, 1);
    const index = new HnswIndex({ dim: 4 });
    index.add(items);
    const path = join(dir, 'b.hnsw');
    saveHnsw(index, path);
    const bytes = readFileSync(path);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 5] ^= 0xff;
    writeFileSync(join(dir, 'c.hnsw'), flipped);
    expect(() => loadHnsw(join(dir, 'c.hnsw'))).toThrow(/c\.hnsw: corrupt index \(checksum mismatch\)/);
    writeFileSync(join(dir, 'd.hnsw'), bytes.subarray(0, bytes.length - 100));
    expect(() => loadHnsw(join(dir, 'd.hnsw'))).toThrow(/d\.hnsw: truncated or corrupt index/);
    writeFileSync(join(dir, 'e.hnsw'), Buffer.from('hello world, this is not an index at all, not even close....'));
    expect(() => loadHnsw(join(dir, 'e.hnsw'))).toThrow(/e\.hnsw: not a NGHNSW01 index/);
    expect(() => loadHnsw(join(dir, 'missing.hnsw'))).toThrow(/missing\.hnsw: cannot read index file/);
  });

  it('rejects bad input', () => {
    const index = new HnswIndex({ dim: 3 });
    expect(() => index.add(mat(2, 4))).toThrow(/vectors have 4 columns, index dim is 3/);
    index.add(mat(2, 3, Float32Array.from([1, 0, 0, 0, 1, 0])));
    expect(() => index.search(mat(1, 3), 3)).toThrow(/k = 3 is larger than the number of items \(2\)/);
    expect(() => index.add(mat(1, 3, Float32Array.from([0, Infinity, 0])))).toThrow(/non-finite value Infinity/);
    expect(() => new HnswIndex({ dim: 3, M: 1 })).toThrow(/M must be an integer in \[2, 1024\]/);
  });
});
