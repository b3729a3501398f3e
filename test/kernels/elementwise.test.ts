// Parity tests for src/kernels/elementwise*.ts: every WGSL kernel against its plain-TS reference
// on random shapes and values. Outputs are poisoned (NaN bits) before each kernel runs, so an
// element the kernel fails to write shows up as a mismatch.
// Tolerances: relative error ‖gpu − ref‖/‖ref‖ < 1e-5 for float math (measured ~1e-7), exact for
// integer dtypes, data movement, comparisons and the dropout mask (bit-exact hash).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { BinaryOp, UnaryOp } from '../../src/kernels/op-types';
import { allocArray, type DType, type TypedArray } from '../../src/util/dtype';
import { numel, stridesOf } from '../../src/util/shape';
import type { WebGpuBackend } from '../../src/tensor/webgpu/backend';
import { poisonedGpu } from '../helpers/gpu';
import type { Runtime } from '../../src/kernels/webgpu/runtime';
import {
  binaryGpu, binaryRef, dropoutMaskGpu, dropoutMaskRef, fillGpu, fillRef,
  unaryGpu, unaryGradGpu, unaryGradRef, unaryRef, whereGpu, whereRef,
} from '../../src/kernels/elementwise';
import { LAUNCH, setElementwiseLaunch } from '../../src/kernels/layout';
import { hash32 } from '../../src/kernels/random';
import { relErr as relErrShared } from '../helpers/relerr';
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => relErrShared(a, b, { nanEqual: true });

let be: WebGpuBackend;
let rt: Runtime;

poisonedGpu((b) => {
  be = b;
  rt = b.rt;
}, () => setElementwiseLaunch(null));

const SEED = 42;
/** Sizes that stress bounds checks: 1, primes, non-multiples of the per-workgroup tile. */
const sizeArb = fc.oneof(fc.constantFrom(1, 2, 3, 7, 31, 64, 97, 511, 512, 513, 4099), fc.integer({ min: 1, max: 20000 }));

async function read(buf: GPUBuffer, n: number, dtype: DType): Promise<TypedArray> {
  const bytes = await rt.read(buf, n * 4);
  rt.release(buf);
  if (dtype === 'f32') return new Float32Array(bytes);
  if (dtype === 'i32') return new Int32Array(bytes);
  return new Uint32Array(bytes);
}

/** Uploads, runs `f` on the buffer, releases the input. */
function withUpload<T>(data: TypedArray, f: (b: GPUBuffer) => T): T {
  const b = rt.upload(data);
  try {
    return f(b);
  } finally {
    rt.release(b);
  }
}

/** Deterministic pseudo-random values from a seed (fast-check picks the seed). */
function values(n: number, seed: number, dtype: DType, lo = -3, hi = 3): TypedArray {
  const out = allocArray(dtype, n);
  for (let i = 0; i < n; i++) {
    const u = hash32(seed, i) / 4294967296;
    out[i] = dtype === 'f32' ? lo + (hi - lo) * u : Math.floor(lo + (hi - lo + 1) * u);
  }
  return out;
}

const UNARY_OPS: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'relu', 'gelu', 'sigmoid', 'pow', 'scale', 'shift', 'abs', 'square'];
/** Input ranges inside each op's domain (pow gets negative bases with integer exponents too). */
function domain(op: UnaryOp): [number, number] {
  if (op === 'log' || op === 'sqrt' || op === 'rsqrt') return [0.05, 20];
  if (op === 'tanh' || op === 'sigmoid' || op === 'gelu') return [-30, 30];
  return [-3, 3];
}

describe('fill', () => {
  it('writes the value into every element, for each 32-bit dtype', async () => {
    for (const dtype of ['f32', 'i32', 'u32'] as DType[]) {
      for (const n of [1, 5, 513, 70001]) {
        const value = dtype === 'f32' ? -1.25 : dtype === 'i32' ? -7 : 4000000000;
        const got = await read(fillGpu(rt, n, dtype, value), n, dtype);
        expect(Array.from(got)).toEqual(Array.from(fillRef(n, dtype, value)));
      }
    }
  });
});

describe('unary', () => {
  it('matches the reference for every op, forward and gradient (f32, rel err < 1e-5)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...UNARY_OPS), sizeArb, fc.integer(), fc.constantFrom(2, 3, -1, 0.5, 1.7), async (op, n, seed, alpha) => {
        const [lo, hi] = domain(op);
        const x = values(n, seed, 'f32', lo, hi) as Float32Array;
        const a = alpha;
        // A fractional power of a negative base is NaN: use positive bases then.
        const xs = op === 'pow' && a % 1 !== 0 ? x.map((v) => Math.abs(v) + 0.05) : x;
        const dy = values(n, seed + 1, 'f32', -1, 1);
        const y = unaryRef(op, xs, a);
        const dx = unaryGradRef(op, xs, y, dy, a);
        const xb = rt.upload(xs);
        const yb = unaryGpu(rt, op, xb, n, 'f32', a);
        const dyb = rt.upload(dy);
        const dxb = unaryGradGpu(rt, op, xb, yb, dyb, n, 'f32', a);
        const dxGot = await read(dxb, n, 'f32');
        const yGot = await read(yb, n, 'f32');
        rt.release(xb);
        rt.release(dyb);
        expect(relErr(yGot, y), `${op} forward`).toBeLessThan(1e-5);
        expect(relErr(dxGot, dx), `${op} gradient`).toBeLessThan(1e-5);
      }),
      { seed: SEED, numRuns: 40, examples: UNARY_OPS.map((op) => [op, 1, 3, 2] as [UnaryOp, number, number, number]) },
    );
  });

  it('stays finite for large |x| in tanh, sigmoid and gelu and their gradients', async () => {
    const x = new Float32Array([-1e4, -500, -89, -45, 45, 89, 500, 1e4, 0]);
    for (const op of ['tanh', 'sigmoid', 'gelu'] as UnaryOp[]) {
      const y = withUpload(x, (xb) => unaryGpu(rt, op, xb, x.length, 'f32'));
      const yv = await read(y, x.length, 'f32');
      expect(relErr(yv, unaryRef(op, x)), op).toBeLessThan(1e-6);
      const dy = new Float32Array(x.length).fill(1);
      const g = withUpload(x, (xb) => withUpload(unaryRef(op, x), (ybuf) => withUpload(dy, (db) => unaryGradGpu(rt, op, xb, ybuf, db, x.length, 'f32'))));
      const gv = await read(g, x.length, 'f32');
      expect(Array.from(gv).every(Number.isFinite), `${op} gradient finite`).toBe(true);
      expect(relErr(gv, unaryGradRef(op, x, unaryRef(op, x), dy)), `${op} gradient`).toBeLessThan(1e-6);
    }
  });

  it('integer ops on i32 match exactly (wrapping)', async () => {
    for (const op of ['neg', 'abs', 'square', 'relu', 'scale', 'shift'] as UnaryOp[]) {
      const x = values(1001, 9, 'i32', -100000, 100000);
      const got = await read(withUpload(x, (xb) => unaryGpu(rt, op, xb, x.length, 'i32', -3)), x.length, 'i32');
      expect(Array.from(got), op).toEqual(Array.from(unaryRef(op, x, -3)));
    }
    expect(() => unaryRef('exp', new Int32Array(2))).toThrow(/exp.*i32/);
  });

  it('reference gradients agree with central differences in float64 (relu/abs away from 0)', () => {
    const h = 1e-6;
    for (const op of UNARY_OPS) {
      const [lo, hi] = domain(op);
      const x = new Float64Array(values(50, 5, 'f32', Math.max(lo, -8), Math.min(hi, 8)));
      for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) < 1e-3) x[i] = 0.5;
      const y = unaryRef(op, x, 3);
      const g = unaryGradRef(op, x, y, new Float64Array(x.length).fill(1), 3);
      const up = unaryRef(op, x.map((v) => v + h), 3);
      const down = unaryRef(op, x.map((v) => v - h), 3);
      const fd = up.map((v, i) => (v - down[i]) / (2 * h));
      expect(relErr(g, fd), op).toBeLessThan(1e-6);
    }
  });
});

/** A random broadcast: an out shape (rank 0..6) and, per operand, strides with 0 on broadcast axes. */
const broadcastArb = (operands: number) =>
  fc.integer({ min: 0, max: 6 }).chain((rank) =>
    fc.tuple(
      fc.array(fc.constantFrom(1, 2, 3, 5, 7, 13), { minLength: rank, maxLength: rank }),
      fc.array(fc.array(fc.boolean(), { minLength: rank, maxLength: rank }), { minLength: operands, maxLength: operands }),
    ).map(([shape, bcast]) => ({
      shape,
      operands: bcast.map((flags) => {
        const opShape = shape.map((d, i) => (flags[i] ? 1 : d));
        const strides = stridesOf(opShape).map((s, i) => (flags[i] ? 0 : s));
        return { n: numel(opShape), strides };
      }),
    })),
  );

describe('binary', () => {
  const OPS: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max', 'min', 'eq', 'gt'];
  it('matches the reference with broadcasting, f32 (rel err < 1e-6) and i32/u32 (exact)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...OPS), fc.constantFrom<DType>('f32', 'i32', 'u32'), broadcastArb(2), fc.integer(), async (op, dtype, bc, seed) => {
        const [ao, bo] = bc.operands;
        // Small integers (also as floats) so eq/gt see both outcomes; no zero divisors for f32.
        const a = values(ao.n, seed, dtype, dtype === 'u32' ? 0 : -4, 4);
        const b = values(bo.n, seed + 7, dtype, dtype === 'u32' ? 0 : -4, 4);
        if (dtype === 'f32' && op === 'div') for (let i = 0; i < b.length; i++) if (Math.abs(b[i]) < 0.1) b[i] = 0.5;
        const ref = binaryRef(op, a, b, bc.shape, ao.strides, bo.strides);
        const out = withUpload(a, (ab) => withUpload(b, (bb) => binaryGpu(rt, op, ab, bb, bc.shape, ao.strides, bo.strides, dtype)));
        const got = await read(out, ref.length, dtype);
        if (dtype === 'f32') expect(relErr(got, ref), `${op} ${bc.shape}`).toBeLessThan(1e-6);
        else expect(Array.from(got), `${op} ${dtype} ${bc.shape}`).toEqual(Array.from(ref));
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('wraps i32 arithmetic like WGSL (overflow, division by zero)', async () => {
    const a = new Int32Array([2147483647, -2147483648, 123456789, 7, -7, 5]);
    const b = new Int32Array([1, -1, 1000, 0, 2, -3]);
    for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
      const out = withUpload(a, (ab) => withUpload(b, (bb) => binaryGpu(rt, op, ab, bb, [6], [1], [1], 'i32')));
      expect(Array.from(await read(out, 6, 'i32')), op).toEqual(Array.from(binaryRef(op, a, b, [6], [1], [1])));
    }
  });
});

describe('where', () => {
  it('selects a where cond != 0, with broadcasting and any cond dtype', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<DType>('f32', 'i32', 'u32'), fc.constantFrom<DType>('f32', 'i32'), broadcastArb(3), fc.integer(), async (condDtype, dtype, bc, seed) => {
        const [co, ao, bo] = bc.operands;
        const cond = values(co.n, seed, condDtype, 0, 1);
        const a = values(ao.n, seed + 1, dtype);
        const b = values(bo.n, seed + 2, dtype);
        const ref = whereRef(cond, a, b, bc.shape, co.strides, ao.strides, bo.strides);
        const out = withUpload(cond, (cb) => withUpload(a, (ab) => withUpload(b, (bb) =>
          whereGpu(rt, cb, ab, bb, bc.shape, co.strides, ao.strides, bo.strides, dtype, condDtype))));
        expect(Array.from(await read(out, ref.length, dtype))).toEqual(Array.from(ref));
      }),
      { seed: SEED, numRuns: 20 },
    );
  });
});

describe('dropout mask', () => {
  it('is bit-identical to the reference and drops about p of the elements', async () => {
    await fc.assert(
      fc.asyncProperty(sizeArb, fc.constantFrom(0, 0.1, 0.5, 0.9), fc.integer(), async (n, p, seed) => {
        const ref = dropoutMaskRef(n, p, seed);
        const got = await read(dropoutMaskGpu(rt, n, p, seed), n, 'f32');
        expect(Array.from(got)).toEqual(Array.from(ref));
      }),
      { seed: SEED, numRuns: 15 },
    );
    const n = 200000;
    for (const p of [0.1, 0.5]) {
      const mask = await read(dropoutMaskGpu(rt, n, p, 1234), n, 'f32');
      const rate = mask.filter((v) => v === 0).length / n;
      expect(Math.abs(rate - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      expect(mask.every((v) => v === 0 || v === Math.fround(1 / (1 - p)))).toBe(true);
    }
    expect(() => dropoutMaskRef(4, 1, 0)).toThrow(/p must be in \[0, 1\)/);
  });
});

describe('launch shapes', () => {
  it('the gpu launch parameters and a 2D grid (> 65535 workgroups) give the same results', async () => {
    const runs: [typeof LAUNCH.gpu, number][] = [[LAUNCH.gpu, 100003], [{ wg: 64, per: 1 }, 65535 * 64 + 1000]];
    try {
      for (const [launch, n] of runs) {
        setElementwiseLaunch(launch);
        const x = values(n, 3, 'f32');
        const y = await read(withUpload(x, (xb) => unaryGpu(rt, 'gelu', xb, n, 'f32')), n, 'f32');
        expect(relErr(y, unaryRef('gelu', x))).toBeLessThan(1e-5);
        const s = await read(withUpload(x, (xb) => binaryGpu(rt, 'mul', xb, xb, [n], [1], [1], 'f32')), n, 'f32');
        expect(relErr(s, binaryRef('mul', x, x, [n], [1], [1]))).toBeLessThan(1e-6);
        const m = await read(dropoutMaskGpu(rt, n, 0.3, 5), n, 'f32');
        expect(Array.from(m).every((v, i) => v === (hash32(5, i) < Math.floor(0.3 * 2 ** 32) ? 0 : Math.fround(1 / 0.7)))).toBe(true);
      }
    } finally {
      setElementwiseLaunch(null);
    }
  });
});

describe('errors', () => {
  it('a GPU error surfaces as an exception naming the kernel', async () => {
    // An invalid shader: Dawn reports a validation error, flush turns it into an exception.
    rt.run({ name: 'deliberately-broken', wgsl: '@compute @workgroup_size(1) fn main() { let x: u32 = -1.5; }', uniforms: false }, { buffers: [], workgroups: [1] });
    expect(() => rt.flush()).toThrow(/deliberately-broken/);
    // A buffer destroyed before its dispatch is submitted: the error names the kernel too.
    const x = rt.upload(new Float32Array(16));
    const dead = rt.device.createBuffer({ size: 64, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const out = unaryGpu(rt, 'exp', dead, 16, 'f32');
    dead.destroy();
    expect(() => rt.flush()).toThrow(/unary:exp/);
    rt.release(out);
    rt.release(x);
    // The runtime keeps working afterwards.
    const y = await read(fillGpu(rt, 3, 'f32', 2), 3, 'f32');
    expect(Array.from(y)).toEqual([2, 2, 2]);
  });

  it('bad arguments throw before any GPU work, naming the function', () => {
    const b = rt.upload(new Float32Array(4));
    expect(() => unaryGpu(rt, 'exp', b, 5, 'f32')).toThrow(/unaryGpu\(exp\).*too small/);
    expect(() => binaryGpu(rt, 'add', b, b, [2, 3], [3, 1], [3, 1], 'f32')).toThrow(/binaryGpu\(add\) a.*reads element 5/);
    expect(() => unaryGpu(rt, 'exp', b, 4, 'f64')).toThrow(/f64/);
    rt.release(b);
  });
});
