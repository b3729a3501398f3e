// Data movement and index layout.
// - strided: out[idx] = x[offset + Σ idx_i * strides_i] over outShape (permute, slice, expand);
// - concat2: a (outer, la, inner) and b (outer, lb, inner) joined along the middle axis;
// - the helpers every strided/elementwise kernel shares: checking strides, merging axes that are
//   contiguous in every operand (coalesceDims), the WGSL that turns a flat output index into
//   strided input offsets, and how a flat range of n elements is laid out over workgroups.
// Data-movement kernels treat any 32-bit dtype as u32 bits, so one pipeline serves f32/i32/u32.

import { allocArray, BYTES, dtypeOf, type DType, type TypedArray } from '../util/dtype';
import { numel, shapeStr } from '../util/shape';
import { UniformWriter, type Kernel, type Runtime } from './webgpu/runtime';
import { bytesOf } from './webgpu/pool';

export const MAX_RANK = 6;

// ---------------------------------------------------------------------------------------------
// Shared checks and host-side index helpers
// ---------------------------------------------------------------------------------------------

/** Throws naming `where` unless strides/offset address only elements 0..len-1 of the input. */
export function checkStrided(where: string, len: number, shape: readonly number[], strides: readonly number[], offset: number): void {
  if (shape.length > MAX_RANK) throw new Error(`${where}: rank ${shape.length} of ${shapeStr(shape)} exceeds ${MAX_RANK}`);
  if (strides.length !== shape.length) {
    throw new Error(`${where}: ${strides.length} strides [${strides.join(', ')}] for shape ${shapeStr(shape)}`);
  }
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: bad shape ${shapeStr(shape)}`);
  for (const s of strides) if (!Number.isInteger(s) || s < 0) throw new Error(`${where}: strides must be non-negative integers, got [${strides.join(', ')}]`);
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`${where}: bad offset ${offset}`);
  if (numel(shape) === 0) return;
  let last = offset;
  shape.forEach((d, i) => (last += (d - 1) * strides[i]));
  if (last >= len) {
    throw new Error(`${where}: shape ${shapeStr(shape)} with strides [${strides.join(', ')}] and offset ${offset} reads element ${last} of an input of ${len}`);
  }
}

/** Source offset of every output element, in row-major output order (an odometer walk). */
export function stridedOffsets(shape: readonly number[], strides: readonly number[], offset: number): Float64Array {
  const n = numel(shape);
  const out = new Float64Array(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    // Advance the last axis; carry into earlier axes when one wraps.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= idx[d] * strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

/**
 * Drops size-1 axes and merges neighbouring axes that are contiguous in every operand (axis d and
 * d+1 merge when strides[d] == strides[d+1] * shape[d+1] for each operand), so a contiguous
 * elementwise op becomes rank 1 and the kernel's index arithmetic stays short.
 */
export function coalesceDims(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const r = outShape.length;
    const mergeable = r > 0 && strides.every((s, k) => outStrides[k][r - 1] === s[d] * shape[d]);
    if (mergeable) {
      outShape[r - 1] *= shape[d];
      strides.forEach((s, k) => (outStrides[k][r - 1] = s[d]));
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  return { shape: outShape, strides: outStrides };
}

// ---------------------------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------------------------

/** out[idx] = x[offset + Σ idx_i * strides_i] over outShape, dtype of x. */
export function stridedRef(x: TypedArray, outShape: readonly number[], strides: readonly number[], offset = 0): TypedArray {
  checkStrided('stridedRef', x.length, outShape, strides, offset);
  const src = stridedOffsets(outShape, strides, offset);
  const out = allocArray(dtypeOf(x), src.length);
  for (let i = 0; i < src.length; i++) out[i] = x[src[i]];
  return out;
}

function checkConcat(where: string, aLen: number, bLen: number, outer: number, la: number, lb: number, inner: number): void {
  for (const [k, v] of Object.entries({ outer, la, lb, inner })) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`${where}: ${k} must be a non-negative integer, got ${v}`);
  }
  if (aLen < outer * la * inner) throw new Error(`${where}: a has ${aLen} elements, (${outer}, ${la}, ${inner}) needs ${outer * la * inner}`);
  if (bLen < outer * lb * inner) throw new Error(`${where}: b has ${bLen} elements, (${outer}, ${lb}, ${inner}) needs ${outer * lb * inner}`);
}

/** a: (outer, la, inner), b: (outer, lb, inner) -> (outer, la + lb, inner). */
export function concat2Ref(a: TypedArray, b: TypedArray, outer: number, la: number, lb: number, inner: number): TypedArray {
  checkConcat('concat2Ref', a.length, b.length, outer, la, lb, inner);
  if (dtypeOf(a) !== dtypeOf(b)) throw new Error(`concat2Ref: dtypes differ: ${dtypeOf(a)} and ${dtypeOf(b)}`);
  const out = allocArray(dtypeOf(a), outer * (la + lb) * inner);
  const rowA = la * inner;
  const rowB = lb * inner;
  for (let o = 0; o < outer; o++) {
    out.set(a.subarray(o * rowA, (o + 1) * rowA), o * (rowA + rowB));
    out.set(b.subarray(o * rowB, (o + 1) * rowB), o * (rowA + rowB) + rowA);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// GPU helpers shared by the elementwise and layout kernels
// ---------------------------------------------------------------------------------------------

/** The WGSL element type of a 32-bit dtype. */
export function wgslType(dtype: DType): 'f32' | 'i32' | 'u32' {
  if (dtype === 'f64') throw new Error('WGSL kernels have no f64 (float64 runs on the cpu backend only)');
  return dtype;
}

/**
 * How a flat range of n elements is spread over threads. `wg` threads per workgroup, `per`
 * elements per thread. llvmpipe runs a workgroup as SIMD loops on one core, and its dispatch and
 * per-invocation overheads are high, so fewer, fatter invocations win there; a real GPU wants
 * many threads.
 */
export interface Launch {
  wg: number;
  per: number;
}

/** Launch shapes per adapter kind (measured on llvmpipe; the gpu one is the usual choice). */
export const LAUNCH: Record<'llvmpipe' | 'gpu', Launch> = { llvmpipe: { wg: 64, per: 8 }, gpu: { wg: 256, per: 4 } };

let launchOverride: Launch | null = null;

/** Forces a launch shape for the elementwise and layout kernels (tests use it to run the gpu
 * parameters on llvmpipe, and tiny ones to exercise the 2D grid); null restores the default. */
export function setElementwiseLaunch(l: Launch | null): void {
  if (l && !(Number.isInteger(l.wg) && l.wg > 0 && Number.isInteger(l.per) && l.per > 0)) {
    throw new Error(`setElementwiseLaunch: wg and per must be positive integers, got ${JSON.stringify(l)}`);
  }
  launchOverride = l;
}

/** Launch shape for one element per output (unary, fill, binary, ...) on this adapter. */
export function elementwiseLaunch(rt: Runtime): Launch {
  return launchOverride ?? LAUNCH[rt.ctx.kind];
}

/** Workgroup counts covering n elements (x*y, y > 1 only past the per-dimension limit). */
export function launchBlocks(rt: Runtime, n: number, l: Launch): [number, number] {
  return rt.grid(Math.ceil(n / (l.wg * l.per)));
}

/** WGSL entry-point parameters and the flat workgroup index for a launchBlocks() dispatch. */
export const ENTRY_PARAMS_WGSL =
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32';
export const FLAT_GROUP_WGSL = 'let group = wid.x + wid.y * nwg.x;';

/**
 * WGSL for a kernel over `n` outputs that reads K strided operands, for one coalesced rank
 * (0..6; the rank is part of the pipeline, the sizes and strides are uniforms). Each thread
 * handles `per` consecutive outputs: it converts the first output index into coordinates once
 * (divisions are slow on llvmpipe, which has no vector integer divide), then steps the
 * coordinates like an odometer, updating the operand offsets o0..o{K-1}. `body` writes output `i`
 * from those offsets. Coordinates are named scalars, not an array: llvmpipe spills dynamically
 * indexed private arrays to memory. The uniform struct U holds n, rank, base (added to o0),
 * shape and st (K stride arrays), see stridedUniformStruct.
 */
export function stridedLoopWgsl(k: number, rank: number, l: Launch, body: string): string {
  const ops = Array.from({ length: k }, (_, j) => j);
  const dims = Array.from({ length: rank }, (_, d) => d);
  const comp = (d: number) => `[${d >> 2}].${'xyzw'[d & 3]}`;
  const lines: string[] = [];
  for (const d of dims) lines.push(`let size${d} = u.shape${comp(d)};`);
  for (const j of ops) for (const d of dims) lines.push(`let st${j}_${d} = u.st[${j}]${comp(d)};`);
  // Decompose the first output index, last axis fastest.
  lines.push('var rem = start;');
  for (const d of [...dims].reverse()) lines.push(`var c${d} = rem % size${d}; rem = rem / size${d};`);
  for (const j of ops) {
    const terms = dims.map((d) => ` + c${d} * st${j}_${d}`).join('');
    lines.push(`var o${j} = ${j === 0 ? 'u.base' : '0u'}${terms};`);
  }
  // The odometer step, written from axis 0 outwards so the last axis ends up outermost:
  // bump the last axis; on wrap, rewind it and carry into the axis before.
  let step = '';
  for (let d = 0; d < rank; d++) {
    const bump = `c${d} += 1u; ${ops.map((j) => `o${j} += st${j}_${d};`).join(' ')}`;
    const wrap = `c${d} = 0u; ${ops.map((j) => `o${j} -= size${d} * st${j}_${d};`).join(' ')}`;
    step = d === 0 ? bump : `${bump} if (c${d} == size${d}) { ${wrap} ${step} }`;
  }
  return `
@compute @workgroup_size(${l.wg})
fn main(${ENTRY_PARAMS_WGSL}) {
  ${FLAT_GROUP_WGSL}
  let start = (group * ${l.wg}u + lid) * ${l.per}u;
  if (start >= u.n) { return; }
  let end = min(u.n, start + ${l.per}u);
  ${lines.join('\n  ')}
  for (var i = start; i < end; i++) {
    ${body}
    ${step}
  }
}`;
}

/** WGSL uniform struct for stridedLoopWgsl with K operands plus one scalar slot (`extra`). */
export function stridedUniformStruct(k: number): string {
  return `struct U { n: u32, rank: u32, base: u32, extra: u32,
  shape: array<vec4<u32>, 2>, st: array<array<vec4<u32>, 2>, ${k}> };
@group(0) @binding(0) var<uniform> u: U;`;
}

/** Packs the uniforms of stridedUniformStruct (after coalescing), `extra` as raw u32 bits. */
export function stridedUniforms(n: number, shape: readonly number[], strides: readonly (readonly number[])[], base: number, extra = 0): ArrayBuffer {
  const w = new UniformWriter().u32(n).u32(shape.length).u32(base).u32(extra);
  w.u32Array(shape, 8, 1);
  for (const s of strides) w.u32Array(s, 8, 0);
  return w.done();
}

/** Bits of `value` as a u32, for a `dtype` stored in a u32 slot. */
export function scalarBits(value: number, dtype: DType): number {
  if (dtype === 'f32') return new Uint32Array(new Float32Array([value]).buffer)[0];
  return value >>> 0;
}

// ---------------------------------------------------------------------------------------------
// GPU twins
// ---------------------------------------------------------------------------------------------

const kernels = new Map<string, Kernel>();

function stridedKernel(rank: number, l: Launch): Kernel {
  const key = `strided:${rank}:${l.wg}:${l.per}`;
  let k = kernels.get(key);
  if (!k) {
    const wgsl = `${stridedUniformStruct(1)}
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
${stridedLoopWgsl(1, rank, l, 'y[i] = x[o0];')}`;
    kernels.set(key, (k = { name: 'strided', wgsl }));
  }
  return k;
}

/** GPU twin of stridedRef (any 32-bit dtype, moved as bits). */
export function stridedGpu(rt: Runtime, x: GPUBuffer, outShape: readonly number[], strides: readonly number[], offset: number, dtype: DType): GPUBuffer {
  wgslType(dtype);
  checkStrided('stridedGpu', bytesOf(x) / 4, outShape, strides, offset);
  const n = numel(outShape);
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const c = coalesceDims(outShape, [strides]);
  const l = elementwiseLaunch(rt);
  rt.run(stridedKernel(c.shape.length, l), {
    buffers: [x, out],
    uniforms: stridedUniforms(n, c.shape, c.strides, offset),
    workgroups: launchBlocks(rt, n, l),
  });
  return out;
}

function concatKernel(l: Launch): Kernel {
  const key = `concat2:${l.wg}:${l.per}`;
  let k = kernels.get(key);
  if (!k) {
    // Thread t writes outputs t*per .. t*per+per-1 of the (outer, la+lb, inner) result.
    const wgsl = `struct U { n: u32, la: u32, lb: u32, inner: u32 };
@group(0) @binding(0) var<uniform> u: U;
@group(0) @binding(1) var<storage, read> a: array<u32>;
@group(0) @binding(2) var<storage, read> b: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
@compute @workgroup_size(${l.wg})
fn main(${ENTRY_PARAMS_WGSL}) {
  ${FLAT_GROUP_WGSL}
  let start = (group * ${l.wg}u + lid) * ${l.per}u;
  let end = min(u.n, start + ${l.per}u);
  if (start >= u.n) { return; }
  let rowA = u.la * u.inner;
  let rowB = u.lb * u.inner;
  let row = rowA + rowB;
  // One division for the first output, then (o, r) advance incrementally.
  var o = start / row;
  var r = start - o * row;
  for (var i = start; i < end; i++) {
    if (r < rowA) { y[i] = a[o * rowA + r]; } else { y[i] = b[o * rowB + r - rowA]; }
    r += 1u;
    if (r == row) { r = 0u; o += 1u; }
  }
}`;
    kernels.set(key, (k = { name: 'concat2', wgsl }));
  }
  return k;
}

/** GPU twin of concat2Ref (any 32-bit dtype, moved as bits). */
export function concat2Gpu(rt: Runtime, a: GPUBuffer, b: GPUBuffer, outer: number, la: number, lb: number, inner: number, dtype: DType): GPUBuffer {
  wgslType(dtype);
  checkConcat('concat2Gpu', bytesOf(a) / 4, bytesOf(b) / 4, outer, la, lb, inner);
  const n = outer * (la + lb) * inner;
  const out = rt.alloc(n * BYTES[dtype]);
  if (n === 0) return out;
  const l = elementwiseLaunch(rt);
  rt.run(concatKernel(l), {
    buffers: [a, b, out],
    uniforms: new UniformWriter().u32(n).u32(la).u32(lb).u32(inner).done(),
    workgroups: launchBlocks(rt, n, l),
  });
  return out;
}
