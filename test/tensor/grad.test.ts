// Finite-difference gradient checks (central differences, float64, cpu backend) for every
// differentiable op, on shapes drawn by fast-check that include 1s, primes and odd sizes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as T from '../../src/tensor';
import { cpu, gradCheck } from './gradcheck';
import { Rng } from '../../src/util/rng';

const TOL = 1e-6;
const dim = fc.constantFrom(1, 2, 3, 5, 7);
const shape2 = fc.tuple(dim, dim);
const run = (p: fc.IAsyncProperty<unknown> | fc.IProperty<unknown>) => fc.assert(p as fc.IProperty<unknown>, { seed: 42, numRuns: 12 });

describe('gradient checks: elementwise', () => {
  const unaries: [string, (x: T.Tensor) => T.Tensor, ((v: Float64Array) => void)?][] = [
    ['neg', T.neg], ['exp', T.exp], ['tanh', T.tanh], ['gelu', T.gelu], ['sigmoid', T.sigmoid], ['square', T.square],
    ['scale', (x) => T.scale(x, -2.5)], ['shift', (x) => T.shift(x, 0.7)],
    // ops defined for positive inputs, or with a kink at 0: keep inputs away from it
    ['log', T.log, (v) => v.forEach((x, i) => (v[i] = Math.abs(x) + 0.5))],
    ['sqrt', T.sqrt, (v) => v.forEach((x, i) => (v[i] = Math.abs(x) + 0.5))],
    ['rsqrt', T.rsqrt, (v) => v.forEach((x, i) => (v[i] = Math.abs(x) + 0.5))],
    ['pow 3.5', (x) => T.pow(x, 3.5), (v) => v.forEach((x, i) => (v[i] = Math.abs(x) + 0.5))],
    ['relu', T.relu, (v) => v.forEach((x, i) => (v[i] = x + (x >= 0 ? 0.1 : -0.1)))],
    ['abs', T.abs, (v) => v.forEach((x, i) => (v[i] = x + (x >= 0 ? 0.1 : -0.1)))],
  ];
  for (const [name, f, fix] of unaries) {
    it(name, () => {
      run(fc.property(shape2, fc.integer({ min: 1, max: 1000 }), (shape, seed) => {
        let values: Float64Array | undefined;
        if (fix) {
          const rng = new Rng(seed);
          values = new Float64Array(shape[0] * shape[1]).map(() => rng.normal());
          fix(values);
        }
        expect(gradCheck(([x]) => f(x), [{ shape, values }], seed)).toBeLessThan(TOL);
      }));
    });
  }

  const binaries: [string, (a: T.Tensor, b: T.Tensor) => T.Tensor][] = [
    ['add', T.add], ['sub', T.sub], ['mul', T.mul], ['maximum', T.maximum],
  ];
  // Broadcasting pairs: equal shapes, row vector, column vector, scalar-like, missing leading axis.
  const pairs = fc.tuple(dim, dim).chain(([r, c]) =>
    fc.constantFrom<[number[], number[]]>([[r, c], [r, c]], [[r, c], [1, c]], [[r, c], [r, 1]], [[1, c], [r, 1]], [[r, c], [c]], [[r, c], [1]]));
  for (const [name, f] of binaries) {
    it(`${name} with broadcasting`, () => {
      run(fc.property(pairs, fc.integer({ min: 1, max: 1000 }), ([sa, sb], seed) => {
        expect(gradCheck(([a, b]) => f(a, b), [{ shape: sa }, { shape: sb }], seed)).toBeLessThan(TOL);
      }));
    });
  }
  it('div with broadcasting (denominator away from 0)', () => {
    run(fc.property(pairs, fc.integer({ min: 1, max: 1000 }), ([sa, sb], seed) => {
      const n = sb.reduce((a, b) => a * b, 1);
      const vb = new Float64Array(n).map((_, i) => 0.5 + ((i * 7919 + seed) % 13) / 5);
      expect(gradCheck(([a, b]) => T.div(a, b), [{ shape: sa }, { shape: sb, values: vb }], seed)).toBeLessThan(TOL);
    }));
  });
  it('where and maskedFill', () => {
    run(fc.property(shape2, fc.integer({ min: 1, max: 1000 }), (shape, seed) => {
      const n = shape[0] * shape[1];
      const cond = T.tensor(new Float64Array(n).map((_, i) => (i * 31 + seed) % 3 === 0 ? 1 : 0), shape, { backend: cpu, dtype: 'f64' });
      expect(gradCheck(([a, b]) => T.where(cond, a, b), [{ shape }, { shape: [shape[1]] }], seed)).toBeLessThan(TOL);
      expect(gradCheck(([a]) => T.maskedFill(a, cond, -3), [{ shape }], seed)).toBeLessThan(TOL);
    }));
  });
});

describe('gradient checks: reductions', () => {
  const shape3 = fc.tuple(dim, dim, dim);
  for (const [name, f] of [['sum', T.sum], ['mean', T.mean], ['max', T.max]] as const) {
    it(`${name} over each axis, keepdim or not`, () => {
      run(fc.property(shape3, fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.integer({ min: 1, max: 1000 }), (shape, axis, keep, seed) => {
        expect(gradCheck(([x]) => f(x, axis, keep), [{ shape }], seed)).toBeLessThan(TOL);
      }));
    });
  }
  it('sumAll and meanAll', () => {
    expect(gradCheck(([x]) => T.sumAll(x), [{ shape: [3, 5] }])).toBeLessThan(TOL);
    expect(gradCheck(([x]) => T.meanAll(x), [{ shape: [7, 2] }])).toBeLessThan(TOL);
  });
});

describe('gradient checks: matmul', () => {
  it('2D with every transpose combination', () => {
    run(fc.property(dim, dim, dim, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1000 }), (M, N, K, tA, tB, seed) => {
      const sa = tA ? [K, M] : [M, K];
      const sb = tB ? [N, K] : [K, N];
      expect(gradCheck(([a, b]) => T.matmul(a, b, { transA: tA, transB: tB }), [{ shape: sa }, { shape: sb }], seed)).toBeLessThan(TOL);
    }));
  });
  it('batched, with a shared operand on either side', () => {
    run(fc.property(dim, dim, dim, fc.constantFrom(1, 2, 3), fc.constantFrom('both', 'sharedA', 'sharedB'), fc.boolean(), fc.integer({ min: 1, max: 1000 }),
      (M, N, K, B, mode, tA, seed) => {
        const sa = mode === 'sharedA' ? (tA ? [K, M] : [M, K]) : tA ? [B, K, M] : [B, M, K];
        const sb = mode === 'sharedB' ? [K, N] : [B, K, N];
        expect(gradCheck(([a, b]) => T.matmul(a, b, { transA: tA }), [{ shape: sa }, { shape: sb }], seed)).toBeLessThan(TOL);
      }));
  });
  it('linear layer with bias', () => {
    expect(gradCheck(([x, w, b]) => T.linear(x, w, b), [{ shape: [2, 3, 5] }, { shape: [7, 5] }, { shape: [7] }])).toBeLessThan(TOL);
  });
});

describe('gradient checks: shape ops', () => {
  it('reshape, permute, transpose', () => {
    run(fc.property(dim, dim, dim, fc.integer({ min: 1, max: 1000 }), (a, b, c, seed) => {
      expect(gradCheck(([x]) => T.reshape(x, [c, -1]), [{ shape: [a, b, c] }], seed)).toBeLessThan(TOL);
      expect(gradCheck(([x]) => T.permute(x, [2, 0, 1]), [{ shape: [a, b, c] }], seed)).toBeLessThan(TOL);
      expect(gradCheck(([x]) => T.transpose(x, 0, 2), [{ shape: [a, b, c] }], seed)).toBeLessThan(TOL);
    }));
  });
  it('slice and concat along each axis', () => {
    run(fc.property(fc.tuple(dim, dim, dim), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 1000 }), (shape, axis, seed) => {
      const len = shape[axis];
      const start = seed % len;
      const end = start + 1 + (seed % (len - start));
      expect(gradCheck(([x]) => T.slice(x, axis, start, end), [{ shape }], seed)).toBeLessThan(TOL);
      const other = shape.map((d, i) => (i === axis ? 2 : d));
      expect(gradCheck(([x, y, z]) => T.concat([x, y, z], axis), [{ shape }, { shape: other }, { shape }], seed)).toBeLessThan(TOL);
    }));
  });
  it('expandTo and sumTo', () => {
    expect(gradCheck(([x]) => T.expandTo(x, [4, 3, 5]), [{ shape: [3, 1] }])).toBeLessThan(TOL);
    expect(gradCheck(([x]) => T.sumTo(x, [1, 5]), [{ shape: [4, 3, 5] }])).toBeLessThan(TOL);
  });
});

describe('gradient checks: fused and nn ops', () => {
  it('softmax and logSoftmax over the last axis', () => {
    run(fc.property(fc.tuple(dim, dim, dim), fc.integer({ min: 1, max: 1000 }), (shape, seed) => {
      expect(gradCheck(([x]) => T.softmax(x), [{ shape }], seed)).toBeLessThan(TOL);
      expect(gradCheck(([x]) => T.logSoftmax(x), [{ shape }], seed)).toBeLessThan(TOL);
    }));
  });
  it('layerNorm (x, gamma and beta)', () => {
    run(fc.property(dim, fc.constantFrom(2, 3, 5, 8), fc.integer({ min: 1, max: 1000 }), (rows, cols, seed) => {
      expect(gradCheck(([x, g, b]) => T.layerNorm(x, g, b), [{ shape: [rows, cols] }, { shape: [cols] }, { shape: [cols] }], seed, 1e-5)).toBeLessThan(1e-5);
    }));
  });
  it('embedding gather with repeated indices (scatter-add backward)', () => {
    run(fc.property(fc.constantFrom(1, 3, 5, 7), dim, fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 1000 }), (V, C, raw, seed) => {
      const idx = T.tensor(Int32Array.from(raw.map((r) => r % V)), [raw.length], { backend: cpu, dtype: 'i32' });
      expect(gradCheck(([tab]) => T.embedding(tab, idx), [{ shape: [V, C] }], seed)).toBeLessThan(TOL);
    }));
  });
  it('dropout with a fixed seed (the mask is a constant of the op)', () => {
    run(fc.property(shape2, fc.constantFrom(0.1, 0.5, 0.9), fc.integer({ min: 1, max: 1000 }), (shape, p, seed) => {
      expect(gradCheck(([x]) => T.dropout(x, p, seed), [{ shape }], seed)).toBeLessThan(TOL);
    }));
    // Inverted dropout: kept elements are scaled by 1/(1-p), the rest are 0.
    const v = T.dropout(T.tensor(new Float32Array(400).fill(1), [20, 20], { backend: cpu }), 0.5, 7).dataSync();
    const zeros = v.filter((e) => e === 0).length;
    expect(v.every((e) => e === 0 || e === 2)).toBe(true);
    expect(zeros).toBeGreaterThan(150);
    expect(zeros).toBeLessThan(250);
  });
  it('l2Normalize and cosineSimilarity', () => {
    run(fc.property(dim, dim, fc.constantFrom(2, 3, 5), fc.integer({ min: 1, max: 1000 }), (n, m, d, seed) => {
      expect(gradCheck(([x]) => T.l2Normalize(x), [{ shape: [n, d] }], seed)).toBeLessThan(TOL);
      expect(gradCheck(([a, b]) => T.cosineSimilarity(a, b), [{ shape: [n, d] }, { shape: [m, d] }], seed)).toBeLessThan(TOL);
    }));
  });
  it('topk values (gradient to the selected entries)', () => {
    run(fc.property(dim, fc.constantFrom(1, 2, 5, 7), fc.integer({ min: 1, max: 1000 }), (rows, cols, seed) => {
      const k = 1 + (seed % cols);
      expect(gradCheck(([x]) => T.topk(x, k).values, [{ shape: [rows, cols] }], seed)).toBeLessThan(TOL);
    }));
  });
});
