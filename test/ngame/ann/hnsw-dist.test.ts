import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng';
import { dist1, dist4, distMany, distVV, distVV2 } from '../../../src/ngame/ann/hnsw-dist';

describe('HNSW distance kernels', () => {
  it('all kernels give the same value for the same pair, close to a plain dot product', () => {
    const rng = new Rng(5);
    for (let d = 1; d <= 9; d++) {
      const n = 7;
      const V = Float32Array.from({ length: n * d }, () => rng.normal());
      const q = Float64Array.from(V.subarray(0, d)); // row 0 as a Float64Array query
      const ids = Int32Array.from([1, 2, 3, 4, 5, 6]);
      const many = new Float64Array(6);
      distMany(q, V, d, ids, 6, many, new Float64Array(4));
      const four = new Float64Array(4);
      dist4(q, V, d, 2 * d, 3 * d, 4 * d, d, four);
      const two = new Float64Array(2);
      distVV2(V, 0, 5 * d, 6 * d, d, two);
      for (let t = 0; t < 6; t++) {
        const id = ids[t];
        let plain = 0;
        for (let j = 0; j < d; j++) plain += V[j] * V[id * d + j];
        const one = dist1(q, V, id * d, d);
        expect(one).toBeCloseTo(1 - plain, 12);
        expect(many[t]).toBe(one);
        expect(distVV(V, 0, id * d, d)).toBe(one);
        expect(distVV(V, id * d, 0, d)).toBe(one); // symmetric
        if (t < 4) expect(four[t]).toBe(one);
      }
      expect(two[0]).toBe(dist1(q, V, 5 * d, d));
      expect(two[1]).toBe(dist1(q, V, 6 * d, d));
    }
  });
});
