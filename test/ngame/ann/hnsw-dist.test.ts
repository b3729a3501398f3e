import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HnswMemory, dotsRef } from '../../../src/ngame/ann/hnsw-dist';

// The WebAssembly SIMD kernel against its plain-TS reference: bit for bit, for dims around the
// kernel's blocks of 8 and 4 (1, primes, multiples), stored and scratch queries, poisoned outputs.
describe('HNSW distance kernel (WebAssembly SIMD)', () => {
  it('equals dotsRef bit for bit and a plain dot product closely', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 64, 67, 256),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (d, n, seed) => {
          let x = seed || 1;
          const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647) * 2 - 1;
          const rows = n + 3;
          const mem = new HnswMemory(d, n + 1, rows);
          for (let i = 0; i < rows * d; i++) mem.vecs[i] = rnd();
          for (let j = 0; j < d; j++) mem.q[j] = rnd();
          const ids = Array.from({ length: n }, (_, t) => (t * 7 + 1) % rows);
          const want = new Float32Array(n);
          for (const stored of [false, true]) {
            mem.ids.set(ids);
            mem.out.fill(NaN); // poisoned: every slot must be written
            mem.dots(stored ? mem.vecAt(0) : mem.qPtr, n);
            if (stored) dotsRef(mem.vecs, 0, mem.vecs, d, ids, n, want);
            else dotsRef(mem.q, 0, mem.vecs, d, ids, n, want);
            expect(Array.from(mem.out.subarray(0, n))).toEqual(Array.from(want));
            const q = stored ? mem.vecs.subarray(0, d) : mem.q;
            for (let t = 0; t < n; t++) {
              let plain = 0;
              for (let j = 0; j < d; j++) plain += q[j] * mem.vecs[ids[t] * d + j];
              expect(Math.abs(want[t] - (1 - plain))).toBeLessThan(1e-5 * Math.max(1, d));
            }
          }
        },
      ),
      { seed: 7, numRuns: 120 },
    );
  });

  it('is symmetric: dist(x, y) equals dist(y, x) bit for bit', () => {
    const d = 67, rows = 40;
    const mem = new HnswMemory(d, rows, rows);
    let x = 3;
    for (let i = 0; i < rows * d; i++) mem.vecs[i] = ((x = (x * 48271) % 2147483647) / 2147483647) - 0.5;
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < rows; b++) mem.ids[b] = b;
      mem.dots(mem.vecAt(a), rows);
      const row = Array.from(mem.out.subarray(0, rows));
      for (let b = 0; b < rows; b++) {
        mem.ids[0] = a;
        mem.dots(mem.vecAt(b), 1);
        expect(mem.out[0]).toBe(row[b]);
      }
    }
  });

  it('keeps the vectors when the memory grows, and names the limit', () => {
    const mem = new HnswMemory(5, 4, 10);
    mem.vecs.set(Float32Array.from({ length: 50 }, (_, i) => i));
    mem.ensure(100_000);
    expect(Array.from(mem.vecs.subarray(0, 50))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => mem.ensure(2 ** 29)).toThrow(/5 GiB|more than the 4 GiB/);
  });
});
