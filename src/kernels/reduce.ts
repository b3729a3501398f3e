// Reductions: x viewed as (outer, len, inner) is reduced over the middle axis to (outer, inner),
// with op sum, max or min. Row reductions are inner = 1; column sums (bias gradients) are outer = 1.
// An empty axis (len = 0) gives the op's identity: 0, -Infinity, +Infinity (integer extremes for
// i32/u32). Integer sums wrap mod 2^32 like WGSL.

import type { ReduceOp } from './op-types';
import { allocArray, BYTES, dtypeOf, isFloat, type DType, type TypedArray } from '../util/dtype';
import { UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';
import { fillGpu } from './elementwise';
import { ENTRY_PARAMS_WGSL, FLAT_GROUP_WGSL, scalarBits, wgslType } from './layout';

function checkReduce(where: string, xLen: number, outer: number, len: number, inner: number): void {
  for (const [k, v] of Object.entries({ outer, len, inner })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
  if (xLen < outer * len * inner) {
    throw new Error(`${where}: x has ${xLen} elements, (${outer}, ${len}, ${inner}) needs ${outer * len * inner}`);
  }
}

/** The value an empty reduction gives, per dtype. */
export function reduceIdentity(op: ReduceOp, dtype: DType): number {
  if (op === 'sum') return 0;
  if (isFloat(dtype)) return op === 'max' ? -Infinity : Infinity;
  if (dtype === 'i32') return op === 'max' ? -2147483648 : 2147483647;
  return op === 'max' ? 0 : 4294967295;
}

/** (outer, len, inner) -> (outer, inner). Float sums accumulate in double (JS numbers). */
export function reduceRef(op: ReduceOp, x: TypedArray, outer: number, len: number, inner: number): TypedArray {
  checkReduce('reduceRef', x.length, outer, len, inner);
  const dtype = dtypeOf(x);
  const out = allocArray(dtype, outer * inner);
  const id = reduceIdentity(op, dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = id;
      let p = o * len * inner + i;
      for (let l = 0; l < len; l++, p += inner) {
        const v = x[p];
        if (op === 'sum') acc = isFloat(dtype) ? acc + v : (acc + v) | 0;
        else if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
        else acc = v < acc || Number.isNaN(v) ? v : acc;
      }
      out[o * inner + i] = acc;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WGSL twins. Two variants:
// - 'serial': each thread reduces one output (or `cols` = 4 neighbouring outputs along inner,
//   as a vec4) by looping over len. Right for llvmpipe, and for column sums everywhere.
// - 'workgroup': one workgroup per output; its threads stride over len and combine their partial
//   results in shared memory. Right for row reductions (inner = 1) on a real GPU.
// When there are too few outputs to keep the device busy, len is split into `splits` chunks
// reduced in parallel to (outer, splits, inner), and a second pass reduces the chunks.
// Float sums are blocked: 64 terms into a block sum, 64 blocks into a middle sum, middle sums
// into the total, so rounding error grows with ~(128 + len/4096) terms rather than len.
// ---------------------------------------------------------------------------------------------

export type ReduceVariant = 'serial' | 'workgroup';

export interface ReduceOptions {
  /** Force a variant (tests exercise both on any adapter). Default: chosen per adapter and shape. */
  variant?: ReduceVariant;
  /** Force the number of chunks len is split into (1 = no split). Default: chosen by occupancy. */
  splits?: number;
}

const kernels = new Map<string, Kernel>();

/** Most elements one thread accumulates in one pass (see the llvmpipe loop limit below). */
const MAX_PER_THREAD = 16384;


function combineWgsl(op: ReduceOp): string {
  return op === 'sum' ? 'a + b' : `${op}(a, b)`;
}

/** The blocked accumulation loop shared by both variants: acc over l = lo, lo+step, ... < hi. */
function blockedLoop(a: string, load: string): string {
  return `var total = ${a}(ID);
  var l = lo;
  var p = base + lo * pstep;
  while (l < hi) {
    var mid = ${a}(ID);
    for (var nb = 0u; nb < 64u && l < hi; nb++) {
      var blk = ${a}(ID);
      for (var nt = 0u; nt < 64u && l < hi; nt++) {
        blk = combine(blk, ${load});
        l += step;
        p += step * pstep;
      }
      mid = combine(mid, blk);
    }
    total = combine(total, mid);
  }`;
}

// idBits: the identity's bits (WGSL constants cannot be infinite, so -inf arrives as a uniform).
const UNIFORMS_WGSL = `struct U { outer: u32, len: u32, inner: u32, chunk: u32, splits: u32, colGroups: u32, total: u32, idBits: u32 };
@group(0) @binding(0) var<uniform> u: U;`;

function serialKernel(op: ReduceOp, t: string, wg: number, cols: 1 | 4): Kernel {
  const key = `reduce-serial:${op}:${t}:${wg}:${cols}`;
  let k = kernels.get(key);
  if (k) return k;
  const a = cols === 4 ? `vec4<${t}>` : t;
  // load(p, col): x at flat index p, and for vec4 the next three columns (identity past inner).
  const load = cols === 1 ? 'x[p]' : 'load4(p, col)';
  const store = cols === 1 ? 'y[q] = total;' : `y[q] = total.x;
  if (col + 1u < u.inner) { y[q + 1u] = total.y; }
  if (col + 2u < u.inner) { y[q + 2u] = total.z; }
  if (col + 3u < u.inner) { y[q + 3u] = total.w; }`;
  const wgsl = `${UNIFORMS_WGSL}
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> y: array<${t}>;
fn combine(a: ${a}, b: ${a}) -> ${a} { return ${combineWgsl(op)}; }
fn load4(p: u32, col: u32) -> vec4<${t}> {
  if (col + 3u < u.inner) { return vec4<${t}>(x[p], x[p + 1u], x[p + 2u], x[p + 3u]); }
  var v = vec4<${t}>(bitcast<${t}>(u.idBits));
  v.x = x[p];
  if (col + 1u < u.inner) { v.y = x[p + 1u]; }
  if (col + 2u < u.inner) { v.z = x[p + 2u]; }
  return v;
}
@compute @workgroup_size(${wg})
fn main(${ENTRY_PARAMS_WGSL}) {
  ${FLAT_GROUP_WGSL}
  let ID = bitcast<${t}>(u.idBits);
  let t = group * ${wg}u + lid;
  if (t >= u.total) { return; }
  // Thread t owns columns col..col+${cols - 1} of chunk s of outer row o.
  let cg = t % u.colGroups;
  let rest = t / u.colGroups;
  let s = rest % u.splits;
  let o = rest / u.splits;
  let col = cg * ${cols}u;
  let lo = s * u.chunk;
  let hi = min(u.len, lo + u.chunk);
  let base = o * u.len * u.inner + col;
  let pstep = u.inner;
  let step = 1u;
  ${blockedLoop(a, load)}
  let q = (o * u.splits + s) * u.inner + col;
  ${store}
}`;
  kernels.set(key, (k = { name: `reduce:${op}`, wgsl }));
  return k;
}

function workgroupKernel(op: ReduceOp, t: string, wg: number): Kernel {
  const key = `reduce-wg:${op}:${t}:${wg}`;
  let k = kernels.get(key);
  if (k) return k;
  const wgsl = `${UNIFORMS_WGSL}
@group(0) @binding(1) var<storage, read> x: array<${t}>;
@group(0) @binding(2) var<storage, read_write> y: array<${t}>;
var<workgroup> partial: array<${t}, ${wg}>;
fn combine(a: ${t}, b: ${t}) -> ${t} { return ${combineWgsl(op)}; }
@compute @workgroup_size(${wg})
fn main(${ENTRY_PARAMS_WGSL}) {
  ${FLAT_GROUP_WGSL}
  let ID = bitcast<${t}>(u.idBits);
  // Workgroup 'group' owns output column i of chunk s of outer row o (uniform per workgroup).
  if (group >= u.total) { return; }
  let i = group % u.inner;
  let rest = group / u.inner;
  let s = rest % u.splits;
  let o = rest / u.splits;
  let start = s * u.chunk;
  let hi = min(u.len, start + u.chunk);
  let lo = start + lid;
  let base = o * u.len * u.inner + i;
  let pstep = u.inner;
  let step = ${wg}u;
  ${blockedLoop(t, 'x[p]')}
  partial[lid] = total;
  workgroupBarrier();
  for (var w = ${wg / 2}u; w > 0u; w = w / 2u) {
    if (lid < w) { partial[lid] = combine(partial[lid], partial[lid + w]); }
    workgroupBarrier();
  }
  if (lid == 0u) { y[(o * u.splits + s) * u.inner + i] = partial[0]; }
}`;
  kernels.set(key, (k = { name: `reduce:${op}`, wgsl }));
  return k;
}

/** GPU twin of reduceRef: (outer, len, inner) -> (outer, inner). */
export function reduceGpu(
  rt: Runtime, op: ReduceOp, x: GPUBuffer, outer: number, len: number, inner: number, dtype: DType, opts: ReduceOptions = {},
): GPUBuffer {
  const t = wgslType(dtype);
  checkReduce('reduceGpu', bytesOf(x) / 4, outer, len, inner);
  const llvmpipe = rt.ctx.kind === 'llvmpipe';
  const variant: ReduceVariant = opts.variant ?? (!llvmpipe && inner === 1 ? 'workgroup' : 'serial');
  const wg = llvmpipe ? 64 : 256;
  const outputs = outer * inner;
  if (outputs === 0 || len === 0) {
    return len === 0 ? fillGpu(rt, outputs, dtype, reduceIdentity(op, dtype)) : rt.alloc(0);
  }

  // Work items: threads (serial) or workgroups (workgroup variant) without splitting.
  const cols = variant === 'serial' && inner >= 4 ? 4 : 1;
  const colGroups = variant === 'serial' ? Math.ceil(inner / cols) : inner;
  const items = outer * colGroups;
  let splits = opts.splits ?? 1;
  if (opts.splits === undefined) {
    // Enough parallel items to fill the device: llvmpipe needs a few workgroups per core;
    // a real GPU needs tens of thousands of threads or hundreds of workgroups.
    const want = variant === 'workgroup' ? 512 : llvmpipe ? 4 * wg : 16384;
    const minChunk = variant === 'workgroup' ? wg * 16 : 128;
    if (items < want && len >= 2 * minChunk) splits = Math.min(Math.ceil(len / minChunk), Math.ceil(want / items));
  }
  if (!Number.isInteger(splits) || splits < 1) throw new Error(`reduceGpu: splits must be a positive integer, got ${splits}`);
  // llvmpipe silently stops loops after 65535 iterations per invocation, counted over all the
  // shader's loops together (gallivm's loop limiter; measured: a 70000-iteration loop ran 65535
  // times, a single-thread sum of 1e5 ones gave 63506). So no thread loops over more than
  // MAX_PER_THREAD elements: longer axes are always split.
  const perThread = variant === 'workgroup' ? MAX_PER_THREAD * wg : MAX_PER_THREAD;
  splits = Math.max(splits, Math.ceil(len / perThread));
  const chunk = Math.ceil(len / splits);
  splits = Math.ceil(len / chunk);

  const out = rt.alloc(outer * splits * inner * BYTES[dtype]);
  const total = outer * splits * colGroups;
  const uniforms = new UniformWriter().u32(outer).u32(len).u32(inner).u32(chunk).u32(splits).u32(colGroups).u32(total)
    .u32(scalarBits(reduceIdentity(op, dtype), dtype)).done();
  if (variant === 'workgroup') {
    rt.run(workgroupKernel(op, t, wg), { buffers: [x, out], uniforms, workgroups: rt.grid(total) });
  } else {
    rt.run(serialKernel(op, t, wg, cols), { buffers: [x, out], uniforms, workgroups: rt.grid(Math.ceil(total / wg)) });
  }
  if (splits === 1) return out;
  // Second pass: (outer, splits, inner) -> (outer, inner).
  const result = reduceGpu(rt, op, out, outer, splits, inner, dtype, { variant: opts.variant });
  rt.release(out);
  return result;
}
