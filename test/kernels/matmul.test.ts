// Parity of every matmul kernel (naive, register-blocked vec4 and scalar paths, shared-memory
// tiled) against matmulRef: all four transpose combinations, batching with stride-0 broadcast
// and padded strides, shapes from fast-check (1, primes, non-tile sizes) and a few larger ones.
// Outputs are poisoned with NaN before each run, so an unwritten element fails the test.
// Shader compiles of the unrolled blocked kernel are expensive on llvmpipe, so the production
// block (matmulConfig) is compiled for the common layouts only and a small non-square block
// (8×4) covers every transpose combination of the same generator.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MatmulParams } from '../../src/kernels/op-types';
import type { Runtime } from '../../src/kernels/webgpu/runtime';
import { Rng } from '../../src/util/rng';
import { matmulConfig, matmulGpu, matmulRef, type MatmulOptions } from '../../src/kernels/matmul';
import { blockedVec4Ok } from '../../src/kernels/matmul-blocked';
import { relErr } from '../helpers/relerr';
import { poisonedGpu, randn } from '../helpers/gpu';

const TOL = 1e-4;
let rt: Runtime;

poisonedGpu((be) => (rt = be.rt));

/** Runs one matmul on the GPU and returns ‖out − ref‖ / ‖ref‖ (NaN when any output was not written). */
async function gpuVsRef(p: MatmulParams, opts: MatmulOptions, seed: number): Promise<number> {
  const rng = new Rng(seed);
  const a = randn(rng, p.strideA * (p.batch - 1) + p.M * p.K);
  const b = randn(rng, p.strideB * (p.batch - 1) + p.K * p.N);
  const ga = rt.upload(a), gb = rt.upload(b);
  const gc = matmulGpu(rt, ga, gb, p, opts);
  const out = new Float32Array(await rt.read(gc, p.batch * p.M * p.N * 4));
  rt.release(ga); rt.release(gb); rt.release(gc);
  return relErr(out, matmulRef(a, b, p));
}

// Dimensions: small arbitrary sizes (1, primes, non-tile sizes) or multiples of 4 (the vec4 path).
const dim = fc.oneof(
  fc.constantFrom(1, 2, 3, 5, 7, 13, 17, 31, 37),
  fc.integer({ min: 1, max: 70 }),
  fc.integer({ min: 1, max: 16 }).map((x) => 4 * x),
);
// Batch layout: each operand contiguous, padded (stride > matrix size), or broadcast (stride 0).
const strideKind = fc.constantFrom('dense', 'pad4', 'pad3', 'broadcast');
const params = fc.record({
  batch: fc.integer({ min: 1, max: 3 }), M: dim, N: dim, K: dim,
  transA: fc.boolean(), transB: fc.boolean(), sa: strideKind, sb: strideKind, seed: fc.integer(),
  // Half the runs round every size and stride up to a multiple of 4: the blocked kernel's vec4 path.
  aligned: fc.boolean(),
}).map((r): MatmulParams & { seed: number } => {
  const up = (x: number): number => (r.aligned ? Math.ceil(x / 4) * 4 : x);
  const [M, N, K] = [up(r.M), up(r.N), up(r.K)];
  const stride = (kind: string, size: number): number =>
    kind === 'broadcast' ? 0 : kind === 'pad4' ? size + 4 : kind === 'pad3' ? up(size + 3) : size;
  return {
    batch: r.batch, M, N, K, transA: r.transA, transB: r.transB,
    strideA: stride(r.sa, M * K), strideB: stride(r.sb, K * N), seed: r.seed,
  };
});

const SMALL_BLOCK: MatmulOptions['blocked'] = { tm: 8, tn: 4, wg: 8 };

const cases: [string, MatmulOptions][] = [
  ['naive', { variant: 'naive' }],
  ['blocked 8×4 (vec4 where aligned, all transposes)', { variant: 'blocked', blocked: SMALL_BLOCK }],
  ['blocked 8×4 scalar path', { variant: 'blocked', blocked: SMALL_BLOCK, vec4: false }],
  ['tiled', { variant: 'tiled' }],
];

describe('matmulGpu parity with matmulRef', () => {
  for (const [name, opts] of cases) {
    it(`${name}: random shapes, transposes and batch strides`, async () => {
      let vec4Runs = 0;
      await fc.assert(
        fc.asyncProperty(params, async (p) => {
          if (blockedVec4Ok(p.M, p.N, p.K, p.transA, p.transB, p.strideA, p.strideB)) vec4Runs++;
          const err = await gpuVsRef(p, opts, p.seed);
          expect(err, `${name} ${JSON.stringify(p)}`).toBeLessThan(TOL);
        }),
        { seed: 42, numRuns: 40 },
      );
      // The generator must reach the vec4 path, or it would go untested.
      expect(vec4Runs).toBeGreaterThan(5);
    });
  }

  it('every variant and transpose combination on larger shapes (257×129×65, batch broadcast)', async () => {
    const variants: MatmulOptions[] = [{ variant: 'naive' }, { variant: 'blocked', blocked: SMALL_BLOCK }, { variant: 'tiled' }];
    for (const opts of variants) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const p = { batch: 2, M: 257, N: 129, K: 65, transA, transB, strideA: 257 * 65, strideB: 0 };
          expect(await gpuVsRef(p, opts, 7), `${opts.variant} ${transA} ${transB}`).toBeLessThan(TOL);
        }
      }
    }
  });

  it("the adapter's own blocked configuration (vec4 and scalar paths)", async () => {
    const cfg = matmulConfig(rt);
    expect(['naive', 'blocked', 'tiled']).toContain(cfg.variant);
    const blocked: MatmulOptions = { variant: 'blocked' };
    // Aligned: vec4 path. Edges: neither M nor N a multiple of the block.
    const aligned = { batch: 2, M: 100, N: 72, K: 64, transA: false, transB: false, strideA: 6400, strideB: 0 };
    expect(blockedVec4Ok(100, 72, 64, false, false, 6400, 0)).toBe(true);
    expect(await gpuVsRef(aligned, blocked, 1)).toBeLessThan(TOL);
    // K = 129 is odd: the scalar path, with a transposed A.
    const odd = { batch: 1, M: 67, N: 45, K: 129, transA: true, transB: false, strideA: 0, strideB: 0 };
    expect(await gpuVsRef(odd, blocked, 2)).toBeLessThan(TOL);
    // The default choice (no variant forced).
    expect(await gpuVsRef({ ...aligned, M: 33, N: 1, K: 4 }, {}, 3)).toBeLessThan(TOL);
  });
});

describe('matmulRef', () => {
  it('computes a known product, in f32 and f64', () => {
    const p = { batch: 1, M: 2, N: 2, K: 2, transA: false, transB: false, strideA: 0, strideB: 0 };
    for (const T of [Float32Array, Float64Array]) {
      const c = matmulRef(new T([1, 2, 3, 4]), new T([5, 6, 7, 8]), p);
      expect(c).toBeInstanceOf(T);
      expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    }
  });

  it('transposed storage gives the same product as explicit transposition (f64)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (M, N, K, seed) => {
        const rng = new Rng(seed);
        const a = Float64Array.from({ length: M * K }, () => rng.normal());
        const b = Float64Array.from({ length: K * N }, () => rng.normal());
        const at = new Float64Array(M * K), bt = new Float64Array(K * N);
        for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) at[k * M + m] = a[m * K + k];
        for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) bt[n * K + k] = b[k * N + n];
        const base = { batch: 1, M, N, K, strideA: 0, strideB: 0 };
        const c = matmulRef(a, b, { ...base, transA: false, transB: false });
        const c2 = matmulRef(at, bt, { ...base, transA: true, transB: true });
        expect(relErr(c2, c)).toBeLessThan(1e-14);
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  it('rejects bad input with messages naming the argument', () => {
    const p = { batch: 2, M: 2, N: 2, K: 2, transA: false, transB: false, strideA: 4, strideB: 0 };
    expect(() => matmulRef(new Float32Array(4), new Float32Array(4), p)).toThrow(/A has 4 elements, needs 8/);
    expect(() => matmulRef(new Float32Array(8), new Float64Array(4), p)).toThrow(/B is f64/);
    expect(() => matmulRef(new Float32Array(8), new Float32Array(4), { ...p, K: 0 })).toThrow(/K must be a positive integer/);
    expect(() => matmulGpu(rt, rt.upload(new Float32Array(4)), rt.upload(new Float32Array(4)), p)).toThrow(/matmulGpu: A has 4 elements/);
  });
});
