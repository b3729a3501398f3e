import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exactTopK } from '../../../src/ngame/ann';
import { mat } from '../../../src/ngame/matrix';

describe('exactTopK', () => {
  it('equals a full sort by score, ties broken by lower index (any block size)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 17 }), fc.nat(), fc.integer({ min: 0, max: 1e6 }),
        (nq, n, d, block, kRaw, seed) => {
          // small integers make ties frequent
          let s = seed;
          const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648), (s % 5) - 2);
          const q = mat(nq, d, Float32Array.from({ length: nq * d }, rnd));
          const x = mat(n, d, Float32Array.from({ length: n * d }, rnd));
          const k = 1 + (kRaw % n);
          const r = exactTopK(q, x, k, { blocks: { itemBlock: block, queryBlock: 3 } });
          for (let i = 0; i < nq; i++) {
            const sc = Array.from({ length: n }, (_, j) => {
              let v = 0;
              for (let t = 0; t < d; t++) v += q.data[i * d + t] * x.data[j * d + t];
              return [v, j];
            });
            sc.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
            expect(Array.from(r.indices.subarray(i * k, (i + 1) * k))).toEqual(sc.slice(0, k).map((p) => p[1]));
            expect(Array.from(r.values.subarray(i * k, (i + 1) * k))).toEqual(sc.slice(0, k).map((p) => p[0]));
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('cosine ranks by angle', () => {
    const x = mat(3, 2, Float32Array.from([10, 0, 1, 1, 0, 0.1]));
    const q = mat(1, 2, Float32Array.from([0, 1]));
    expect(Array.from(exactTopK(q, x, 3, { metric: 'cosine' }).indices)).toEqual([2, 1, 0]);
    expect(Array.from(exactTopK(q, x, 3, { metric: 'ip' }).indices)).toEqual([1, 2, 0]);
  });

  it('rejects bad input', () => {
    const x = mat(3, 2);
    expect(() => exactTopK(mat(1, 3), x, 1)).toThrow(/dimension mismatch: queries have 3 columns, items have 2/);
    expect(() => exactTopK(mat(1, 2), x, 4)).toThrow(/k = 4 is larger than the number of items \(3\)/);
    expect(() => exactTopK(mat(1, 2, Float32Array.from([NaN, 0])), x, 1)).toThrow(/non-finite value NaN/);
  });
});
